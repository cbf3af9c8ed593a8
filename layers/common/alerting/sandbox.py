"""The Jinja2 sandbox behind ``alerting.templating``, imported on the first render (a cold start
that renders nothing does not load Jinja): a time and size budget on everything a template
can do repeatedly."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

from jinja2 import StrictUndefined, TemplateError, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from alerting.errors import TemplateFailure
from alerting.templating import MAX_RENDERED

BUDGET_SECONDS = 0.2
_deadline: ContextVar[float] = ContextVar("template_deadline", default=float("inf"))


def _bounded(value: Any) -> Any:
    if time.monotonic() > _deadline.get():
        raise SecurityError("template took too long")
    if isinstance(value, str | list | dict | tuple) and len(value) > MAX_RENDERED:
        raise SecurityError("template built a value that is too large")
    return value


def _bounded_iter(iterable: Iterable[Any]) -> Iterator[Any]:
    """Every ``{% for %}`` iterates through this: a loop with an empty body over a prebuilt
    ``range`` makes no call and reads no attribute, so only the iteration itself can be checked."""
    for item in iterable:
        _bounded(None)
        yield item


class _BoundedLoops(CodeGenerator):
    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        # ``environment.bounded_iter(<iterable>)``: an attribute a template cannot name or shadow.
        node.iter = nodes.Call(nodes.EnvironmentAttribute("bounded_iter"), [node.iter], [], None, None)
        super().visit_For(node, frame)


class _BoundedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, plus a time and size budget on everything a template can do repeatedly."""

    code_generator_class = _BoundedLoops
    intercepted_binops = frozenset({"*", "**"})
    bounded_iter = staticmethod(_bounded_iter)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > 64:
            raise SecurityError("exponent too large")
        if operator == "*":
            sequence, count = (right, left) if isinstance(left, int) else (left, right)
            if (
                isinstance(sequence, str | list | tuple)
                and isinstance(count, int)
                and len(sequence) * count > MAX_RENDERED
            ):
                raise SecurityError("template built a value that is too large")
        return _bounded(super().call_binop(context, operator, left, right))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _bounded(None)
        return _bounded(super().call(__context, __obj, *args, **kwargs))

    def getattr(self, obj: Any, attribute: str) -> Any:
        return _bounded(super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        return _bounded(super().getitem(obj, argument))


ENV = _BoundedSandbox(undefined=StrictUndefined, autoescape=False)


def render(source: str, variables: dict[str, Any]) -> str:
    token = _deadline.set(time.monotonic() + BUDGET_SECONDS)
    try:
        parts: list[str] = []
        size = 0
        for chunk in ENV.from_string(source).generate(variables):
            _bounded(None)
            parts.append(chunk)
            size += len(chunk)
            if size > MAX_RENDERED:
                break
        text = "".join(parts)
    except TemplateError as exc:
        raise TemplateFailure(f"{type(exc).__name__}: {exc.message or exc}") from None
    except Exception as exc:  # a filter raising: still just a failed render
        raise TemplateFailure(type(exc).__name__) from None
    finally:
        _deadline.reset(token)
    return text[:MAX_RENDERED]


def parse_error(source: str) -> str | None:
    """Why ``source`` does not parse, or None."""
    try:
        ENV.parse(source)
    except TemplateError as exc:
        return str(exc.message or exc)
    return None
