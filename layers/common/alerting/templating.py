"""Message and annotation templates, rendered in a Jinja2 sandbox.

Templates see the alert's fields (``alert.rule_name``, ``alert.values``...) plus shortcuts
(``value``, ``threshold``, ``status``, ``event``). A template that fails to parse is rejected when
it is saved (`check`); one that fails to render anyway falls back to the default text and the
failure is recorded (`TemplateFailure`), so a bad template never blocks an alert.

Templates run inside the evaluator's tick and the notifier's batch, so a render has a budget:
0.2 s of time (checked on every loop iteration, call, attribute and item access), 20,000
characters of output, and no operation that builds a value larger than that (`*`, `**`, a grown
string read back). Templates are also test-rendered against a sample alert when they are saved
(`check`), so one that fails or runs out of budget is refused with the field named.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from jinja2 import StrictUndefined, TemplateError, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from alerting.errors import InvalidTemplate, TemplateFailure

__all__ = ["TemplateFailure", "check", "context", "render", "render_annotations"]

if TYPE_CHECKING:
    from alerting.models.alerts import Alert

logger = logging.getLogger(__name__)
MAX_RENDERED = 20_000
MAX_ANNOTATION = 4_000
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


_env = _BoundedSandbox(undefined=StrictUndefined, autoescape=False)


def context(alert: Alert, event: str | None = None) -> dict[str, Any]:
    data = alert.model_dump(mode="json")
    first = alert.values[0] if alert.values else None
    return {
        "alert": data,
        "event": event or alert.last_transition.event.value,
        "status": alert.status.value,
        "value": first.value if first else None,
        "threshold": first.threshold if first else None,
        **{k: data[k] for k in ("rule_name", "severity", "category", "labels", "series", "values")},
    }


def render(source: str, variables: dict[str, Any]) -> str:
    token = _deadline.set(time.monotonic() + BUDGET_SECONDS)
    try:
        parts: list[str] = []
        size = 0
        for chunk in _env.from_string(source).generate(variables):
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


def check(source: str, field: str, sample: Alert) -> None:
    """Refuse a template, naming the field, that does not parse or that fails or overruns its
    budget on ``sample``. Labels and annotations the sample lacks read as empty: a channel's
    template may name labels that only some rules set."""
    try:
        _env.parse(source)
    except TemplateError as exc:
        raise InvalidTemplate(field, f"template does not parse: {exc.message or exc}") from None
    variables = context(sample)
    alert = variables["alert"]
    for name in ("labels", "annotations"):
        alert[name] = defaultdict(str, alert[name])
    variables["labels"] = alert["labels"]
    try:
        render(source, variables)
    except TemplateFailure as exc:
        raise InvalidTemplate(field, f"template fails on a sample alert: {exc}") from None


def render_annotations(templates: dict[str, str], alert: Alert) -> dict[str, str]:
    """Annotations render with the alert's values; a failing one is left out, so messages use
    their default text for it. Each is capped so that an alert item stays far below DynamoDB's
    400 KB (20 annotations at most)."""
    variables = context(alert)
    rendered: dict[str, str] = {}
    for name, source in templates.items():
        try:
            text = render(source, variables)
        except TemplateFailure as exc:
            logger.warning(
                "annotation template failed", extra={"rule_id": alert.rule_id, "annotation": name, "error": str(exc)}
            )
            continue
        rendered[name] = text if len(text) <= MAX_ANNOTATION else text[: MAX_ANNOTATION - 1] + "…"
    return rendered
