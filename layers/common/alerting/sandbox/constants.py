"""A template's expressions of constants, evaluated once inside a budget when it is saved: Jinja
would fold them when compiling, outside any budget, so a constant that overruns it is refused
then, in whichever branch it stands."""

from __future__ import annotations

from typing import Any

from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import new_context
from jinja2.visitor import NodeTransformer

from alerting.sandbox.budget import budgeted
from alerting.sandbox.calls import builtin_method
from alerting.sandbox.environment import ENV


def constant_error(source: str) -> str | None:
    """Why an expression of ``source`` made of constants alone overruns the budget, or None.
    Each is evaluated once, inside a budget, wherever it stands: a branch the sample alert does
    not take is checked too (Jinja would have folded it when compiling). ``source`` parses."""
    folder = _ConstantFolder()
    with budgeted():
        folder.visit(ENV.parse(source))
    return folder.refusal


class _ConstantFolder(NodeTransformer):
    """Replaces, bottom up, each expression of constants by its value: Jinja's folding, plus the
    operators the sandbox intercepts and the methods of constants (``'x'.center(...)``), which
    Jinja leaves to run time. Stops at the budget's first refusal."""

    def __init__(self) -> None:
        self.eval_context = nodes.EvalContext(ENV)
        self.context = new_context(ENV, "constant", {})
        self.refusal: str | None = None

    def generic_visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> nodes.Node:
        node = super().generic_visit(node, *args, **kwargs)
        if self.refusal is not None or not isinstance(node, nodes.Expr) or isinstance(node, nodes.Const):
            return node
        try:
            return nodes.Const(self._value(node), lineno=node.lineno)
        except Exception as exc:  # Impossible (not constant), or any failure: left to run time
            self.refusal = _security_error(exc)
            return node

    def _value(self, node: nodes.Expr) -> Any:
        if isinstance(node, nodes.BinExpr) and node.operator in ENV.intercepted_binops:
            left, right = node.left.as_const(self.eval_context), node.right.as_const(self.eval_context)
            return ENV.call_binop(self.context, node.operator, left, right)
        if isinstance(node, nodes.Concat):
            return ENV.joined(False, tuple(part.as_const(self.eval_context) for part in node.nodes))
        if isinstance(node, nodes.Call):
            method = node.node.as_const(self.eval_context)
            if builtin_method(method) is None or node.dyn_args is not None or node.dyn_kwargs is not None:
                raise nodes.Impossible()
            args, kwargs = nodes.args_as_const(node, self.eval_context)
            return ENV.call(self.context, method, *args, **kwargs)
        return node.as_const(self.eval_context)


def _security_error(exc: BaseException | None) -> str | None:
    """The budget's refusal behind ``exc`` (Jinja's folding turns it into Impossible)."""
    while exc is not None:
        if isinstance(exc, SecurityError):
            return str(exc.message or exc)
        exc = exc.__cause__ or exc.__context__
    return None
