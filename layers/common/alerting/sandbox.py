"""The Jinja2 sandbox behind ``alerting.templating``, imported on the first render (a cold start
that renders nothing does not load Jinja): a time and size budget on everything a template
can do.

Each render has a `_Budget`: 0.2 s, and 50 times the output cap in characters built in all.
Every loop iteration, call, attribute and item read checks the time. Every filter, test, method
call, ``*``, ``**``, ``+``, ``%`` and ``~`` checks the time before and after it runs, refuses to
run when the bound `alerting.sandbox_estimates` puts on its result passes the cap (so nothing
allocates ``'x'|center(10**9)``), and counts what it built against the budget. So does every
piece of output, also when a ``{% set %}`` block, a macro or a filter block captures it. Jinja's
compile-time constant folding is off: compiling a template evaluates nothing of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Any, cast

from jinja2 import StrictUndefined, TemplateError, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, new_context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import _PassArg
from jinja2.visitor import NodeTransformer
from markupsafe import Markup, escape

from alerting import sandbox_estimates as estimates
from alerting.errors import TemplateFailure
from alerting.templating import MAX_RENDERED

BUDGET_SECONDS = 0.2
BUDGET_CHARACTERS = 50 * MAX_RENDERED  # built in all by one render, output included


@dataclass
class _Budget:
    deadline: float
    characters: int  # left to build

    def tick(self) -> None:
        if time.thread_time() > self.deadline:
            raise SecurityError("template took too long")

    def spend(self, characters: int) -> None:
        self.characters -= characters
        if self.characters < 0:
            raise SecurityError(f"template built more than {BUDGET_CHARACTERS:,} characters in all")


_budget: ContextVar[_Budget | None] = ContextVar("template_budget", default=None)


@contextmanager
def _budgeted(seconds: float = BUDGET_SECONDS) -> Iterator[None]:
    """``seconds`` of this thread's CPU time (less, where the invocation has less left): a render
    in one of a tick's 16 writer threads is not charged for the others' share of the GIL."""
    token = _budget.set(_Budget(time.thread_time() + min(seconds, BUDGET_SECONDS), BUDGET_CHARACTERS))
    try:
        yield
    finally:
        _budget.reset(token)


def _current() -> _Budget:
    budget = _budget.get()
    if budget is None:  # nothing of a template runs outside a render's budget
        raise SecurityError("template code ran outside a render")
    budget.tick()
    return budget


def _refuse_past_cap(bound: int) -> None:
    if bound > MAX_RENDERED:
        raise SecurityError("template would build a value that is too large")


def _bounded(value: Any) -> Any:
    """A value read from what exists already (an attribute, an item, a selected element)."""
    _current()
    if isinstance(value, str | list | dict | tuple) and len(value) > MAX_RENDERED:
        raise SecurityError("template built a value that is too large")
    return value


def _built(value: Any) -> Any:
    """A value a call has just built: within the cap, and counted against the budget."""
    budget = _current()
    size = estimates.size_of(value, MAX_RENDERED)
    if size > MAX_RENDERED:
        raise SecurityError("template built a value that is too large")
    budget.spend(size)
    return value


def _bounded_iter(iterable: Iterable[Any]) -> Iterator[Any]:
    """Every ``{% for %}`` iterates through this: a loop with an empty body over a prebuilt
    ``range`` makes no call and reads no attribute, so only the iteration itself can be checked."""
    for item in iterable:
        _current()
        yield item


def _listed(value: Any) -> Any:
    """A lazy sequence as a list, so that a bound can count its items (the filter or method it
    is handed to would list it anyway)."""
    if isinstance(value, Collection) or not isinstance(value, Iterable):
        return value
    items = []
    for item in _bounded_iter(value):
        items.append(item)
        if len(items) > MAX_RENDERED:
            raise SecurityError("template listed too many items")
    return items


_PASSED_PARAMETERS = {"context", "eval_ctx", "environment", "env"}


def _checked_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` inside the budget: its result's bound refused past the cap before it runs,
    what it built checked and counted after. Jinja's ``map``, ``select``... call filters and
    tests through the environment, so they reach these too."""
    passed = int(_PassArg.from_obj(function) is not None)  # the context Jinja passes first
    parameters = list(estimates.signature(function).parameters)
    # an async-variant filter's signature is its sync function's, which may lack the passed one
    named_from = 0 if passed and parameters and parameters[0] in _PASSED_PARAMETERS else passed
    selects = name in estimates.SELECTING_FILTERS

    @wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        _current()
        if name in estimates.COUNTING_FILTERS and len(args) > passed:
            args = (*args[:passed], _listed(args[passed]), *args[passed + 1 :])
        if not selects:
            _refuse_past_cap(_filter_bound(name, function, args[named_from:], args[passed:], kwargs))
        result = function(*args, **kwargs)
        return _bounded(result) if selects else _built(result)

    return checked


def _filter_bound(
    name: str, function: Callable[..., Any], named: tuple[Any, ...], inputs: tuple[Any, ...], kwargs: dict[str, Any]
) -> int:
    if name not in estimates.FILTER_BOUNDS:
        return estimates.inputs_bound((*inputs, *kwargs.values()), MAX_RENDERED)
    arguments = estimates.bind(function, named, kwargs)
    return 0 if arguments is None else estimates.filter_bound(name, arguments, MAX_RENDERED)


def _checked_test(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    stringifies = name in ("lower", "upper")  # str(value) first

    @wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        _current()
        if stringifies and args:
            _refuse_past_cap(estimates.size_of(args[0], MAX_RENDERED))
        return _bounded(function(*args, **kwargs))

    return checked


def _builtin_method(obj: Any) -> tuple[Any, str] | None:
    """(its object, its name) when ``obj`` is a method of a str, list, dict... (the sandbox hands
    ``str.format`` out wrapped, its original as ``__wrapped__``)."""
    target = getattr(obj, "__wrapped__", obj)
    owner = getattr(target, "__self__", None)
    if isinstance(owner, estimates.BUILTIN_TYPES) or (
        isinstance(owner, type) and issubclass(owner, estimates.BUILTIN_TYPES)
    ):
        return owner, getattr(target, "__name__", "")
    return None


def _method_bound(owner: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """The bound of ``owner.name(*args, **kwargs)``; a method on no list is refused."""
    if name == "format" and isinstance(owner, str):
        return estimates.format_bound(owner, args, kwargs, MAX_RENDERED)
    if name == "format_map" and isinstance(owner, str) and len(args) == 1 and isinstance(args[0], Mapping):
        return estimates.format_bound(owner, (), args[0], MAX_RENDERED)
    if name in estimates.LINEAR_METHODS:
        return estimates.inputs_bound((owner, *args, *kwargs.values()), MAX_RENDERED)
    bound = estimates.METHOD_BOUNDS.get(name)
    if bound is None or not isinstance(owner, str | bytes | bytearray):
        raise SecurityError(f"{type(owner).__name__}.{name}() is not allowed in a template")
    base = next(kind for kind in (str, bytes, bytearray) if isinstance(owner, kind))
    arguments = estimates.bind(getattr(base, name), (owner, *args), kwargs)
    return 0 if arguments is None else bound(owner, list(arguments.values())[1:], MAX_RENDERED)


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


class _BoundedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, plus a time and size budget on everything a template can do."""

    code_generator_class = _BoundedCode
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    bounded_iter = staticmethod(_bounded_iter)
    built = staticmethod(_built)

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=False, optimized=False)
        del self.globals["lipsum"]  # paragraphs of lorem ipsum, as many and as long as asked
        self.filters = {name: _checked_filter(name, f) for name, f in self.filters.items()}
        self.tests = {name: _checked_test(name, cast(Callable[..., Any], f)) for name, f in self.tests.items()}

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _current()
        _refuse_past_cap(estimates.binop_bound(operator, left, right, MAX_RENDERED))
        return _built(super().call_binop(context, operator, left, right))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _current()
        method = _builtin_method(__obj)
        if method is None:  # a macro, a global, the loop, a caller: what they build is checked after
            return _built(super().call(__context, __obj, *args, **kwargs))
        owner, name = method
        if name in estimates.SELECTING_METHODS:
            return _bounded(super().call(__context, __obj, *args, **kwargs))
        if name == "join" and args:
            args = (_listed(args[0]), *args[1:])
        _refuse_past_cap(_method_bound(owner, name, args, kwargs))
        return _built(super().call(__context, __obj, *args, **kwargs))

    def getattr(self, obj: Any, attribute: str) -> Any:
        return _bounded(super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        return _bounded(super().getitem(obj, argument))

    def emitted(self, autoescape: bool, value: Any) -> str:
        """A piece of output, sized before it is stringified: a list of shared references is
        small in memory and huge as text."""
        budget = _current()
        _refuse_past_cap(estimates.size_of(value, MAX_RENDERED))
        text = escape(value) if autoescape else str(value)
        if len(text) > MAX_RENDERED:
            raise SecurityError("template built a value that is too large")
        budget.spend(len(text))
        return text

    def joined(self, autoescape: bool, parts: tuple[Any, ...]) -> str:
        """``a ~ b ~ c``, sized before it is built (``{% set b = a ~ a %}`` doubles in one step)."""
        _current()
        _refuse_past_cap(sum(estimates.size_of(part, MAX_RENDERED) for part in parts))
        text = Markup("").join(parts) if autoescape else "".join(map(str, parts))
        return _built(text)  # type: ignore[no-any-return]


ENV = _BoundedSandbox()


def render(source: str, variables: dict[str, Any], seconds: float = BUDGET_SECONDS) -> str:
    try:
        with _budgeted(seconds):
            parts: list[str] = []
            size = 0
            for chunk in ENV.from_string(source).generate(variables):
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


def constant_error(source: str) -> str | None:
    """Why an expression of ``source`` made of constants alone overruns the budget, or None.
    Each is evaluated once, inside a budget, wherever it stands: a branch the sample alert does
    not take is checked too (Jinja would have folded it when compiling). ``source`` parses."""
    folder = _ConstantFolder()
    with _budgeted():
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
            if _builtin_method(method) is None or node.dyn_args is not None or node.dyn_kwargs is not None:
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
