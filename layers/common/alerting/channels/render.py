"""What the channels render alike: the channel's template (with fallback), the JSON document,
and the small texts every human-readable message shares (title, values, times).

A channel template that fails to render never blocks a notification: the channel sends its
default text and reports the failure in ``Receipt.template_error``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from alerting.channels.base import GroupMessage, Message
from alerting.models.alerts import Alert, ConditionValue, Resolution
from alerting.models.common import AlertEvent, AlertStatus, Severity
from alerting.models.conditions import Operator
from alerting.payload import SCHEMA_VERSION, document
from alerting.templating import TemplateFailure, context, render

SEVERITY_COLORS = {
    Severity.critical: "#D63232",
    Severity.high: "#D63232",
    Severity.medium: "#E8A317",
    Severity.low: "#439FE0",
    Severity.info: "#439FE0",
}
ACKNOWLEDGED_COLOR = "#F2C744"
RESOLVED_COLOR = "#36a64f"

# Annotation lengths tried, longest first, when the document must fit a size limit.
_ANNOTATION_LIMITS = (4000, 1000, 200)


@dataclass(frozen=True)
class Rendered:
    """The channel template's output; None where it is unset or failed (use the default)."""

    subject: str | None = None
    body: str | None = None
    error: str | None = None


def render_template(message: Message, *, body: bool = True) -> Rendered:
    """Render ``message.template``; ``body=False`` for channels whose body is the document."""
    template = message.template
    if template is None:
        return Rendered()
    variables = context(message.alert, message.event.value)
    errors: list[str] = []

    def part(name: str, source: str | None) -> str | None:
        if not source:
            return None
        try:
            text = render(source, variables).strip()
        except TemplateFailure as exc:
            errors.append(f"{name}: {exc}")
            return None
        if not text:  # an empty header or section is rejected by Slack; keep the default
            errors.append(f"{name}: rendered empty")
            return None
        return text

    subject = part("subject", template.subject)
    text = part("body", template.body) if body else None
    return Rendered(subject, text, "; ".join(errors) or None)


def document_json(message: Message, max_bytes: int | None = None) -> str:
    """The versioned document as compact, key-sorted JSON (SNS body, webhook body).

    Over ``max_bytes``, annotations (the only free-length field) are shortened until it fits.
    """
    alert = message.alert
    text = _dump(alert, message)
    for limit in _ANNOTATION_LIMITS:
        if max_bytes is None or len(text.encode()) <= max_bytes:
            break
        short = {k: truncate(v, limit) for k, v in alert.annotations.items()}
        text = _dump(alert.model_copy(update={"annotations": short}), message)
    return text


def _dump(alert: Alert, message: Message) -> str:
    return json.dumps(document(alert, message.event, message.delivery_id), sort_keys=True, separators=(",", ":"))


def status_color(alert: Alert) -> str:
    """Resolved green, acknowledged amber, firing by severity (Slack's bar, the e-mail's accent)."""
    if alert.status is AlertStatus.resolved:
        return RESOLVED_COLOR
    if alert.status is AlertStatus.acknowledged:
        return ACKNOWLEDGED_COLOR
    return SEVERITY_COLORS[alert.severity]


MAX_GROUP_LINES = 20  # a Slack message, an SMS... lists this many; "and N more" says the rest


def group_title(group: GroupMessage) -> str:
    """``[FIRING] 3 alerts: High CPU (2), Disk full``."""
    counts: dict[str, int] = {}
    for alert in group.alerts:
        counts[alert.rule_name] = counts.get(alert.rule_name, 0) + 1
    names = ", ".join(f"{name} ({n})" if n > 1 else name for name, n in counts.items())
    return f"[{group.event.value.upper()}] {len(group.alerts)} alert{'s' * (len(group.alerts) != 1)}: {names}"


def group_line(alert: Alert) -> str:
    """One alert of a group: ``FIRING HIGH High CPU InstanceId=i-1: CPU at 97%``."""
    where = f" {series(alert)}" if alert.series else ""
    event, severity = alert.last_transition.event.value.upper(), alert.severity.value.upper()
    return f"{event} {severity} {alert.rule_name}{where}: {headline(alert)}"


def group_lines(group: GroupMessage, limit: int = MAX_GROUP_LINES) -> list[str]:
    lines = [group_line(a) for a in group.alerts[:limit]]
    if len(group.alerts) > limit:
        lines.append(f"and {len(group.alerts) - limit} more")
    return lines


def group_document(group: GroupMessage) -> dict[str, object]:
    """The grouped versioned document (SNS message, webhook body), after Alertmanager's webhook:
    the group's event and labels at the top, every alert's own document in `alerts`."""
    return {
        "schema_version": SCHEMA_VERSION,
        "delivery_id": group.group_id,
        "event": group.event.value,
        "group": {"labels": group.labels, "size": len(group.alerts)},
        "alerts": [document(a, a.last_transition.event, f"{group.group_id}:{a.alert_id}") for a in group.alerts],
    }


def group_json(group: GroupMessage, max_bytes: int | None = None) -> str:
    """The grouped document as compact JSON; over ``max_bytes``, alerts are left out from the
    end (the document says how many) until it fits."""
    kept = len(group.alerts)
    while True:
        data = group_document(GroupMessage(group.alerts[:kept], group.group_id, group.labels, group.console_url))
        if kept < len(group.alerts):
            data["group"] = {**data["group"], "size": len(group.alerts), "left_out": len(group.alerts) - kept}  # type: ignore[dict-item]
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        if max_bytes is None or len(text.encode()) <= max_bytes or kept <= 1:
            return text
        kept = max(1, kept // 2)


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tag(alert: Alert, event: AlertEvent) -> str:
    """``[FIRING][HIGH]``: the transition and the severity, as every subject line starts."""
    return f"[{event.value.upper()}][{alert.severity.value.upper()}]"


def title(alert: Alert, event: AlertEvent) -> str:
    return f"{tag(alert, event)} {alert.rule_name}"


def headline(alert: Alert) -> str:
    """One line on what happened: the summary annotation, else the first condition's value;
    after an automatic resolve it reads as the recovery it is (the values are the recovered ones)."""
    if alert.annotations.get("summary"):
        text = alert.annotations["summary"]
    elif alert.values:
        first = alert.values[0]
        text = f"{first.metric} {observed(first)}"
    else:
        text = alert.rule_name
    return f"Recovered: {text}" if alert.resolution is Resolution.auto else text


def observed(value: ConditionValue) -> str:
    """``91.2 (threshold ≥ 85)``."""
    seen = "no data" if value.value is None else number(value.value)
    return f"{seen} (threshold {_symbol(value.operator)} {number(value.threshold)})"


def number(value: float) -> str:
    if value and abs(value) < 0.01:
        return f"{value:.3g}"
    return f"{value:.4f}".rstrip("0").rstrip(".")


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def series(alert: Alert) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(alert.series.items()))


def transition_line(alert: Alert, event: AlertEvent) -> str | None:
    """Who did what and when, for every event but the first firing."""
    last = alert.last_transition
    note = f": {last.note}" if last.note else ""
    if event is AlertEvent.acknowledged:
        return f"Acknowledged by {last.actor} at {when(last.at)}{note}"
    if event is AlertEvent.resolved:
        how = f" ({alert.resolution.value})" if alert.resolution else ""
        lasted = duration((last.at - alert.started_at).total_seconds())
        return f"Resolved by {last.actor}{how} at {when(last.at)} after {lasted}{note}"
    if event is AlertEvent.unacknowledged:
        return f"Back to firing ({last.reason}) at {when(last.at)}{note}"
    if event is AlertEvent.escalated:
        return f"Escalated to level {alert.escalation_level} at {when(last.at)}{note}"
    if event is AlertEvent.repeat:
        return f"Still firing since {when(alert.started_at)} (reminder {alert.repeat_count})"
    if event is AlertEvent.severity_changed:
        return f"Severity now {alert.severity.value} ({last.reason}) at {when(last.at)}"
    if event is AlertEvent.flapping:
        return f"Flapping ({last.reason}): quiet until it settles"
    if last.seq > 1:  # a firing announced again: a silence ended, or a flapping series settled
        return f"Announced again at {when(last.at)}: {last.reason}"
    return None


def duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


def alert_link(message: Message) -> str | None:
    if not message.console_url:
        return None
    return f"{message.console_url.rstrip('/')}/alerts/{message.alert.alert_id}"


def web_url(value: str | None) -> str | None:
    """An annotation used as a link only when it is an http(s) URL (no ``javascript:``)."""
    if value and value.startswith(("https://", "http://")):
        return value
    return None


def _symbol(operator: str) -> str:
    try:
        return Operator(operator).symbol
    except ValueError:
        return operator
