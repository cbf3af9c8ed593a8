"""The sandboxed Jinja environment: every loop, ``~``, literal and piece of output compiled through
the render's budget (`alerting.sandbox.budget`), every filter, test and method call checked
(`alerting.sandbox.calls`), ``*``, ``**``, ``+`` and ``%`` bounded before they run."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

from jinja2 import StrictUndefined, TemplateError, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from alerting.errors import TemplateFailure
from alerting.sandbox import estimates
from alerting.sandbox.budget import (
    BUDGET_SECONDS,
    MAX_RENDERED,
    bounded,
    bounded_iter,
    budgeted,
    built,
    current,
    listed,
    refuse_past_cap,
)
from alerting.sandbox.calls import SELECTING_METHODS, builtin_method, checked_filter, checked_test, method_bound


def _autoescape(frame: Frame) -> str:
    """Whether output is escaped here, as code (``{% autoescape %}`` may decide it at run time)."""
    return "context.eval_ctx.autoescape" if frame.eval_ctx.volatile else repr(bool(frame.eval_ctx.autoescape))


class _BoundedCode(CodeGenerator):
    """Compiles loops, ``~`` and every piece of output through the budget, and folds nothing."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        # ``environment.bounded_iter(<iterable>)``: an attribute a template cannot name or shadow.
        node.iter = nodes.Call(nodes.EnvironmentAttribute("bounded_iter"), [node.iter], [], None, None)
        super().visit_For(node, frame)

    # List, tuple and dict literals are built values too: `{% set b = [a, a] %}` doubles what it
    # holds at each step, and comparing or hashing the result is unbounded C work.
    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self.write("environment.built(")
        super().visit_List(node, frame)
        self.write(")")

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self.write("environment.built(")
        super().visit_Dict(node, frame)
        self.write(")")

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx != "load":  # an assignment's or a loop's targets
            super().visit_Tuple(node, frame)
            return
        self.write("environment.built(")
        super().visit_Tuple(node, frame)
        self.write(")")

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write(f"environment.joined({_autoescape(frame)}, (")
        for part in node.nodes:
            self.visit(part, frame)
            self.write(", ")
        self.write("))")

    def _output_child_to_const(self, node: nodes.Expr, frame: Frame, finalize: CodeGenerator._FinalizeInfo) -> str:
        # Jinja evaluates a constant expression here, at compile time, outside any budget
        if not isinstance(node, nodes.TemplateData):
            raise nodes.Impossible()
        return super()._output_child_to_const(node, frame, finalize)

    def _output_const_repr(self, group: Iterable[Any]) -> str:
        return f"environment.emitted(False, {super()._output_const_repr(group)})"  # escaped already

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: CodeGenerator._FinalizeInfo) -> None:
        # instead of str() or escape(): sized before it is stringified (no finalize is set)
        self.write(f"environment.emitted({_autoescape(frame)}, ")

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: CodeGenerator._FinalizeInfo) -> None:
        self.write(")")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, plus a time and size budget on everything a template can do."""

    code_generator_class = _BoundedCode
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    bounded_iter = staticmethod(bounded_iter)
    built = staticmethod(built)

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=False, optimized=False)
        del self.globals["lipsum"]  # paragraphs of lorem ipsum, as many and as long as asked
        self.filters = {name: checked_filter(name, f) for name, f in self.filters.items()}
        self.tests = {name: checked_test(name, cast(Callable[..., Any], f)) for name, f in self.tests.items()}

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        current()
        refuse_past_cap(estimates.binop_bound(operator, left, right, MAX_RENDERED))
        return built(super().call_binop(context, operator, left, right))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        current()
        method = builtin_method(__obj)
        if method is None:  # a macro, a global, the loop, a caller: what they build is checked after
            return built(super().call(__context, __obj, *args, **kwargs))
        owner, name = method
        if name in SELECTING_METHODS:
            return bounded(super().call(__context, __obj, *args, **kwargs))
        if name == "join" and args:
            args = (listed(args[0]), *args[1:])
        refuse_past_cap(method_bound(owner, name, args, kwargs))
        return built(super().call(__context, __obj, *args, **kwargs))

    def getattr(self, obj: Any, attribute: str) -> Any:
        return bounded(super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        return bounded(super().getitem(obj, argument))

    def emitted(self, autoescape: bool, value: Any) -> str:
        """A piece of output, sized before it is stringified: a list of shared references is
        small in memory and huge as text."""
        budget = current()
        refuse_past_cap(estimates.size_of(value, MAX_RENDERED))
        text = escape(value) if autoescape else str(value)
        if len(text) > MAX_RENDERED:
            raise SecurityError("template built a value that is too large")
        budget.spend(len(text))
        return text

    def joined(self, autoescape: bool, parts: tuple[Any, ...]) -> str:
        """``a ~ b ~ c``, sized before it is built (``{% set b = a ~ a %}`` doubles in one step)."""
        current()
        refuse_past_cap(sum(estimates.size_of(part, MAX_RENDERED) for part in parts))
        text = Markup("").join(parts) if autoescape else "".join(map(str, parts))
        return built(text)  # type: ignore[no-any-return]


ENV = BoundedSandbox()


def render(source: str, variables: dict[str, Any], seconds: float = BUDGET_SECONDS) -> str:
    try:
        # Compiling is bounded by the source (at most 4,000 characters), not by what it builds:
        # outside the budget, so a cold container's first compile cannot fail a render.
        template = ENV.from_string(source)
        with budgeted(seconds):
            parts: list[str] = []
            size = 0
            for chunk in template.generate(variables):
                parts.append(chunk)
                size += len(chunk)
                if size > MAX_RENDERED:
                    break
            text = "".join(parts)
    except TemplateError as exc:
        raise TemplateFailure(f"{type(exc).__name__}: {exc.message or exc}") from None
    except Exception as exc:  # a filter raising: still just a failed render
        raise TemplateFailure(type(exc).__name__) from None
    return text[:MAX_RENDERED]


def parse_error(source: str) -> str | None:
    """Why ``source`` does not parse, or None."""
    try:
        ENV.parse(source)
    except TemplateError as exc:
        return str(exc.message or exc)
    return None
