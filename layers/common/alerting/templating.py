"""Message and annotation templates, rendered in a Jinja2 sandbox.

Templates see the alert's fields (``alert.rule_name``, ``alert.values``...) plus shortcuts
(``value``, ``threshold``, ``status``, ``event``). A template that fails to parse is rejected when
it is saved (`validate`); one that fails to render falls back to the default text and the
caller records the failure (`TemplateFailure`), so a bad template never blocks an alert.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from alerting.errors import InvalidInput

if TYPE_CHECKING:
    from alerting.models.alerts import Alert

_env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
MAX_RENDERED = 20_000


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
    try:
        text = _env.from_string(source).render(variables)
    except TemplateError as exc:
        raise TemplateFailure(f"{type(exc).__name__}: {exc.message or exc}") from None
    except Exception as exc:  # a sandbox violation or a filter raising: still just a failed render
        raise TemplateFailure(type(exc).__name__) from None
    return text[:MAX_RENDERED]


def validate(source: str, field: str) -> None:
    """Reject a template that does not parse, naming the field."""
    try:
        _env.parse(source)
    except TemplateError as exc:
        raise InvalidInput(field, f"template does not parse: {exc.message or exc}") from None


def render_annotations(templates: dict[str, str], alert: Alert) -> dict[str, str]:
    """Annotations render with the alert's values; a failing one keeps its source text."""
    variables = context(alert)
    rendered: dict[str, str] = {}
    for name, source in templates.items():
        try:
            rendered[name] = render(source, variables)
        except TemplateFailure:
            rendered[name] = source
    return rendered
