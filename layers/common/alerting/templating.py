"""Message and annotation templates, rendered in a Jinja2 sandbox.

Templates see the alert's fields (``alert.rule_name``, ``alert.values``...) plus shortcuts
(``value``, ``threshold``, ``status``, ``event``). A template that fails to parse is rejected when
it is saved (`validate`); one that fails to render falls back to the default text and the
caller records the failure (`TemplateFailure`), so a bad template never blocks an alert.

Templates run inside the evaluator's tick and the notifier's batch, so a render has a budget:
0.2 s of time (checked on every call, attribute and item access), 20,000 characters of output,
and no operation that builds a value larger than that (`*`, `**`, a grown string read back).
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from alerting.errors import InvalidInput

if TYPE_CHECKING:
    from alerting.models.alerts import Alert

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


class _BoundedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, plus a time and size budget on everything a template can do repeatedly."""

    intercepted_binops = frozenset({"*", "**"})

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


class TemplateFailure(Exception):
    """Rendering failed; the message is safe to record (no alert data, no secrets)."""


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


def validate(source: str, field: str) -> None:
    """Reject a template that does not parse, naming the field."""
    try:
        _env.parse(source)
    except TemplateError as exc:
        raise InvalidInput(field, f"template does not parse: {exc.message or exc}") from None


def render_annotations(templates: dict[str, str], alert: Alert) -> dict[str, str]:
    """Annotations render with the alert's values; a failing one keeps its source text. Each is
    capped so that an alert item stays far below DynamoDB's 400 KB (20 annotations at most)."""
    variables = context(alert)
    rendered: dict[str, str] = {}
    for name, source in templates.items():
        try:
            text = render(source, variables)
        except TemplateFailure:
            text = source
        rendered[name] = text if len(text) <= MAX_ANNOTATION else text[: MAX_ANNOTATION - 1] + "…"
    return rendered
