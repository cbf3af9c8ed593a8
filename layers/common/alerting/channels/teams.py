"""Microsoft Teams through a Workflows webhook: one Adaptive Card per message.

Office 365 connectors (incoming webhooks) are retired; a Teams channel now posts through a
Workflows flow ("Post to a channel when a webhook request is received"), whose trigger takes
``{"type": "message", "attachments": [<an Adaptive Card attachment>]}``, answers 202 Accepted
and posts each card to the channel. Teams refuses a message over about 28 KB and throttles a
webhook beyond a few posts a second (429); other statuses are classified as for any webhook.

The URL carries the flow's signature, so it is a secret like Slack's; it must name a host of
Power Automate (``WORKFLOW_HOSTS``), checked when the channel is saved and again at each send,
besides the checks every webhook target passes (``targets``).

Teams reads a TextBlock's text and a fact's title and value as Markdown (bold, italic, lists,
links) and expands ``{{DATE(…)}}`` in text. Every such text is escaped (``escape``), so no rule
name, label, dimension value, annotation or template can show a link under a label of its
choosing, or format itself; the only links are the card's actions, under our labels.
"""

from __future__ import annotations

import ipaddress
import json
import re
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from alerting.channels import render
from alerting.channels.base import GroupMessage, Message, Receipt
from alerting.channels.http import HttpClient
from alerting.channels.targets import check_target, is_public
from alerting.errors import DeliveryError, InvalidInput
from alerting.models.alerts import Alert, AlertSource
from alerting.models.common import AlertStatus, Severity

LABEL = "teams workflow"
CARD_VERSION = "1.4"  # Teams renders up to 1.5; 1.4 has all this card uses
MAX_BYTES = 27_000  # a message over ~28 KB is refused ("Request Entity too large")
MAX_FACTS = 20  # labels shown; "and N more" counts the rest
MAX_URL = 2048
TEXT_LIMITS = (3000, 500, 100, 40)  # free-text lengths tried, longest first, until the card fits

# Where Workflows webhooks live: prod-NN.<region>.logic.azure.com and, for newer flows,
# <environment>.NN.environment.api.powerplatform.com (commercial cloud only).
WORKFLOW_HOSTS = ("logic.azure.com", "environment.api.powerplatform.com")
CONNECTOR_HOSTS = ("webhook.office.com", "outlook.office.com")  # the retired connectors

# Container styles by what the card says: a firing alert by its severity.
SEVERITY_STYLES = {
    Severity.critical: "attention",
    Severity.high: "attention",
    Severity.medium: "warning",
    Severity.low: "accent",
    Severity.info: "accent",
}

_MARKDOWN = re.compile(r"([\\`*_\[\]~<>])")
# A list item, heading or rule at a line's start: its marker, then a space or the line's end.
_LINE_START = re.compile(r"^(\s*\d{0,9})(#+|-+|=+|\+|(?<=\d)[.)])(?=\s|$)", re.MULTILINE)
_FUNCTION = re.compile(r"\{(?=\{)")  # "{{": a date or time function


class TeamsSender:
    """Posts cards to one workflow. A URL outside the workflow hosts (a channel stored before the
    rule) fails every send for good, before anything is sent."""

    def __init__(self, http: HttpClient, webhook_url: str, *, timeout: float) -> None:
        self._problem = host_problem(webhook_url, http.allow_private)
        self._post = partial(http.post_json, webhook_url, headers={}, timeout=timeout, label=LABEL)

    def send(self, message: Message) -> Receipt:
        body, template_error = payload(message)
        return self._deliver(body, template_error)

    def send_group(self, group: GroupMessage) -> Receipt:
        return self._deliver(group_payload(group), None)

    def _deliver(self, body: dict[str, Any], template_error: str | None) -> Receipt:
        if self._problem is not None:
            raise DeliveryError(f"{LABEL} target rejected: {self._problem}", retryable=False)
        response = self._post(json.dumps(body, ensure_ascii=False).encode())
        return Receipt(http_status=response.status, template_error=template_error)


def check_workflow_url(url: str, allow_private: bool, *, field: str = "webhook_url") -> None:
    """Refuse a Teams target outside the workflow hosts, then check it as any webhook target."""
    problem = host_problem(url, allow_private)
    if problem is not None:
        raise InvalidInput(field, problem)
    check_target(url, allow_private, field=field)


def host_problem(url: str, allow_private: bool) -> str | None:
    """What is wrong with the host of ``url`` for a Teams workflow; None when it is one (or is no
    host at all, which ``check_target`` names). Local mode also admits loopback and private
    hosts: the local stand-in. The URL never appears in the answer."""
    try:
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return None
    if not host or any(host.endswith(f".{domain}") for domain in WORKFLOW_HOSTS):
        return None
    if allow_private and _local(host):
        return None
    if any(host == domain or host.endswith(f".{domain}") for domain in CONNECTOR_HOSTS):
        return "is an Office 365 connector URL; connectors are retired, create a Teams workflow webhook"
    return f"is not a Teams workflow URL (a host under {' or '.join(WORKFLOW_HOSTS)})"


def _local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return not is_public(host)


def escape(text: str) -> str:
    """Alert data as Markdown that reads as itself: a backslash before every character that
    could open emphasis, a link, code or an HTML-ish tag, before a list or heading marker at a
    line's start, and inside ``{{`` (Teams' date and time functions)."""
    escaped = _LINE_START.sub(r"\1\\\2", _MARKDOWN.sub(r"\\\1", text))
    return _FUNCTION.sub(r"\\{", escaped)


def payload(message: Message) -> tuple[dict[str, Any], str | None]:
    """The webhook JSON, and the template error when the channel template fell back; the card
    shortens its free texts until it fits Teams' size limit."""
    rendered = render.render_template(message)
    for limit in TEXT_LIMITS:
        body = _envelope(_alert_card(message, rendered, limit))
        if _fits(body):
            break
    return body, rendered.error


def group_payload(group: GroupMessage) -> dict[str, Any]:
    """One card for a group: a line per alert (the first 20, then "and N more")."""
    for limit in TEXT_LIMITS:
        body = _envelope(_group_card(group, limit))
        if _fits(body):
            break
    return body


def _alert_card(message: Message, rendered: render.Rendered, limit: int) -> dict[str, Any]:
    alert, event = message.alert, message.event
    heading = rendered.subject or f"{event.value.upper()} · {alert.rule_name}"
    banner = [_text(heading, limit, size="Large", weight="Bolder")]
    line = render.transition_line(alert, event)
    if line:
        banner.append(_text(line, limit, spacing="None"))
    body: list[dict[str, Any]] = [_banner(style(alert), banner)]
    if rendered.body:
        body.append(_text(rendered.body, limit))
    else:
        body.append(_text(render.headline(alert), limit, weight="Bolder"))
        if alert.annotations.get("description"):
            body.append(_text(alert.annotations["description"], limit))
    body.append(_facts(_alert_facts(alert), limit))
    if alert.labels:
        body.append(_text("Labels", limit, weight="Bolder"))
        body.append(_facts(_label_facts(alert.labels), limit))
    ids = f"alert {alert.alert_id} · rule {alert.rule_id} · delivery {message.delivery_id}"
    body.append(_text(ids, limit, size="Small", isSubtle=True))
    fallback = rendered.subject or f"{render.title(alert, event)}: {render.headline(alert)}"
    return _card(fallback, limit, body, _actions(message))


def _group_card(group: GroupMessage, limit: int) -> dict[str, Any]:
    heading = render.group_title(group)
    body: list[dict[str, Any]] = [
        _banner(style(group.alerts[0]), [_text(heading, limit, size="Large", weight="Bolder")])
    ]
    body.extend(_text(line, limit, spacing="Small") for line in render.group_lines(group))
    if group.labels:
        body.append(_facts(_label_facts(group.labels), limit))
    body.append(_text(f"group {group.group_id}", limit, size="Small", isSubtle=True))
    return _card(heading, limit, body, [])


def style(alert: Alert) -> str:
    """Resolved good, acknowledged warning, firing by severity (as Slack's colour bar)."""
    if alert.status is AlertStatus.resolved:
        return "good"
    if alert.status is AlertStatus.acknowledged:
        return "warning"
    return SEVERITY_STYLES[alert.severity]


def _alert_facts(alert: Alert) -> list[tuple[str, str]]:
    rule = alert.source is AlertSource.rule
    facts = [("Rule", alert.rule_name) if rule else ("Source", f"{alert.rule_name} ({alert.source.value})")]
    facts += [
        ("Severity", f"{alert.severity.value} · {alert.category.value}"),
        ("Status", alert.status.value),
        *((value.metric, render.observed(value)) for value in alert.values),
        ("Started", render.when(alert.started_at)),
    ]
    if alert.series:
        facts.append(("Series", render.series(alert)))
    return facts


def _label_facts(labels: dict[str, str]) -> list[tuple[str, str]]:
    facts = sorted(labels.items())
    if len(facts) > MAX_FACTS:
        facts = [*facts[: MAX_FACTS - 1], ("…", f"and {len(facts) - MAX_FACTS + 1} more")]
    return facts


def _actions(message: Message) -> list[dict[str, str]]:
    links = [
        ("Open in dashboard", render.alert_link(message)),
        ("Runbook", render.web_url(message.alert.annotations.get("runbook_url"))),
        ("Open origin", render.web_url(message.alert.source_url)),
    ]
    return [
        {"type": "Action.OpenUrl", "title": title, "url": url} for title, url in links if url and len(url) <= MAX_URL
    ]


def _envelope(card: dict[str, Any]) -> dict[str, Any]:
    attachment = {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
    return {"type": "message", "attachments": [attachment]}


def _card(fallback: str, limit: int, body: list[dict[str, Any]], actions: list[dict[str, str]]) -> dict[str, Any]:
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "fallbackText": escape(render.truncate(fallback, limit)),  # "may contain markdown"
        "msteams": {"width": "Full"},
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return card


def _banner(style_name: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "Container", "style": style_name, "bleed": True, "items": items}


def _text(text: str, limit: int, **options: Any) -> dict[str, Any]:
    """A TextBlock of unescaped ``text``, cut to ``limit`` before escaping (so never mid-escape)."""
    return {"type": "TextBlock", "text": escape(render.truncate(text, limit)), "wrap": True, **options}


def _facts(facts: list[tuple[str, str]], limit: int) -> dict[str, Any]:
    return {
        "type": "FactSet",
        "facts": [
            {"title": escape(render.truncate(title, limit)), "value": escape(render.truncate(value, limit))}
            for title, value in facts
        ],
    }


def _fits(body: dict[str, Any]) -> bool:
    return len(json.dumps(body, ensure_ascii=False).encode()) <= MAX_BYTES
