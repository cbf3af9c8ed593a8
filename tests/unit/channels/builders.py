"""Alerts and messages for the channel tests, built the way the evaluator and the API build them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from alerting.channels.base import Message
from alerting.evaluation import AlertChange, initial_state
from alerting.lifecycle import acknowledge, resolve, start_alert
from alerting.models.alerts import Alert, AlertKind, ConditionValue, Resolution
from alerting.models.channels import MessageTemplate
from alerting.models.common import AlertEvent
from alerting.models.rules import Rule
from tests.factories import T0, condition, make_rule, metric

# Secrets that must never show in an error, a log line or a traceback.
SLACK_PATH = "/services/T0000/B0000/sLaCkS3cr3tT0ken"
WEBHOOK_PATH = "/hooks/wEbH00kS3cr3tPath"
# A Teams workflow URL's secrets: the flow's id in the path, its signature in the query.
TEAMS_PATH = "/workflows/tEaMsFl0wS3cr3t/triggers/manual/paths/invoke"
TEAMS_QUERY = "?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=tEaMsS1gS3cr3t"
HMAC_SECRET = "hmac-s3cr3t-key-value"

ANNOTATIONS = {
    "summary": "CPU at {{ value }}% (threshold {{ threshold }}%)",
    "description": "Service {{ series.Service }} is busy.",
    "runbook_url": "https://runbooks.example.com/high-cpu",
}

# What anyone who can publish a metric can put in a dimension value: a ping and a disguised link.
EVIL = "<!channel> <https://evil.example|Click to acknowledge>"
EVIL_ESCAPED = "&lt;!channel&gt; &lt;https://evil.example|Click to acknowledge&gt;"


def alert_rule(**overrides: Any) -> Rule:
    data: dict[str, Any] = {"name": "High CPU Usage", "annotations": ANNOTATIONS, **overrides}
    return make_rule(**data)


def make_alert(rule: Rule | None = None, values: list[float | None] | None = None) -> Alert:
    """A firing alert of ``rule`` (High CPU Usage by default) that saw ``values`` (91.2)."""
    rule = rule or alert_rule()
    seen = values or [91.2] * len(rule.conditions)
    observed = [ConditionValue.observed(c, v) for c, v in zip(rule.conditions, seen, strict=True)]
    change = AlertChange(AlertKind.threshold, "alert-1", "2 of 2 breached")
    return start_alert(rule, initial_state(rule), change, observed, T0)


def acknowledged(alert: Alert, by: str = "alice", note: str = "") -> Alert:
    return acknowledge(alert, by, T0 + timedelta(minutes=5), note)[0]


def resolved(alert: Alert, by: str = "evaluator") -> Alert:
    resolution = Resolution.auto if by == "evaluator" else Resolution.manual
    return resolve(alert, by, T0 + timedelta(minutes=12), reason="recovered", resolution=resolution)[0]


def make_message(
    alert: Alert | None = None,
    event: AlertEvent | None = None,
    template: MessageTemplate | None = None,
    console_url: str = "",
) -> Message:
    alert = alert or make_alert()
    return Message(
        alert=alert,
        event=event or alert.last_transition.event,
        seq=alert.version,
        delivery_id=f"{alert.alert_id}:{alert.version}:ch-1",
        template=template,
        console_url=console_url,
    )


def hostile_alert(event: AlertEvent = AlertEvent.firing) -> Alert:
    """An alert whose every free text carries ``EVIL``: a dimension value (so the series and the
    rendered annotations), the rule name, and (acknowledged) the actor and the note."""
    rule = alert_rule(
        name=f"CPU {EVIL}",
        conditions=[condition(metric=metric(dimensions={"InstanceId": EVIL}))],
        annotations={
            "summary": "CPU high on {{ series.InstanceId }}",
            "description": "{{ series.InstanceId }} & more",
            "runbook_url": "https://runbooks.example.com/high-cpu",
        },
    )
    alert = make_alert(rule)
    return acknowledged(alert, by=EVIL, note=EVIL) if event is AlertEvent.acknowledged else alert


def slack_texts(value: Any, key: str = "") -> Iterator[str]:
    """Every string of a Slack payload that Slack shows as text (not button URLs: we build those)."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from slack_texts(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from slack_texts(item, key)
    elif isinstance(value, str) and key != "url":
        yield value


def slack_unescaped(body: dict[str, Any]) -> list[str]:
    """The texts of a Slack payload holding a control character (``<``, ``>``, a bare ``&``):
    where data could form a mention or a link."""
    return [t for t in slack_texts(body) if re.search(r"[<>]|&(?!amp;|lt;|gt;)", t)]


# Markdown Teams reads in card text, once backslash escapes (``\\`` + ASCII punctuation) are
# taken out: emphasis, links, code, tags, a date function, a list, heading or rule marker.
_TEAMS_ESCAPE = re.compile(r"\\[!-/:-@\[-`{-~]")
_TEAMS_MARKUP = re.compile(r"[\\*_\[\]`~<>]|\{\{|^\s*(\d+[.)]|#+|-+|=+|\+)(\s|$)", re.MULTILINE)


def teams_texts(value: Any, key: str = "") -> Iterator[str]:
    """Every string of a Teams card that Teams reads as Markdown: text, fact titles and values,
    the fallback text and the action titles (URLs are not text)."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from teams_texts(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from teams_texts(item, key)
    elif isinstance(value, str) and key in ("text", "title", "value", "fallbackText"):
        yield value


def teams_unescaped(body: dict[str, Any]) -> list[str]:
    """The texts of a Teams payload where Markdown could form: what alert data must never do."""
    return [t for t in teams_texts(body) if _TEAMS_MARKUP.search(_TEAMS_ESCAPE.sub("", t))]
