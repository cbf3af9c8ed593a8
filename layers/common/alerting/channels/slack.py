"""Slack incoming webhook: a ``text`` fallback plus one attachment (for the colour bar) whose
``blocks`` carry the message in Block Kit.

Layout: header, who/when (for every event but firing), summary, fields (rule, severity, value
vs threshold per condition, start, series), buttons (runbook, alert), context. That is at most
8 blocks (10 conditions make 14 fields: two sections), far below Slack's 50; every text is cut
to its own limit. The channel template's subject replaces the header and the fallback text, its
body the summary section.
"""

from __future__ import annotations

import json
from typing import Any

from alerting.channels.base import GroupMessage, Message, Receipt
from alerting.channels.http import HttpClient
from alerting.channels.render import (
    alert_link,
    group_lines,
    group_title,
    headline,
    observed,
    render_template,
    series,
    status_color,
    title,
    transition_line,
    truncate,
    web_url,
    when,
)
from alerting.models.alerts import Alert
from alerting.models.common import AlertEvent

LABEL = "slack webhook"

# Slack's Block Kit limits.
HEADER_TEXT = 150
SECTION_TEXT = 3000
FIELD_TEXT = 2000
FIELDS_PER_SECTION = 10
BUTTON_URL = 3000
FALLBACK_TEXT = 500  # shown above the attachment and in notifications: one line or so

EMOJI = {
    AlertEvent.firing: ":red_circle:",
    AlertEvent.acknowledged: ":eyes:",
    AlertEvent.resolved: ":white_check_mark:",
    AlertEvent.unacknowledged: ":alarm_clock:",
    AlertEvent.escalated: ":rotating_light:",
    AlertEvent.repeat: ":repeat:",
    AlertEvent.flapping: ":ocean:",
    AlertEvent.severity_changed: ":arrow_up_down:",
}


class SlackSender:
    def __init__(self, http: HttpClient, webhook_url: str, *, timeout: float) -> None:
        self._http = http
        self._url = webhook_url
        self._timeout = timeout

    def send(self, message: Message) -> Receipt:
        body, template_error = payload(message)
        response = self._http.post_json(self._url, json.dumps(body).encode(), {}, self._timeout, label=LABEL)
        return Receipt(http_status=response.status, template_error=template_error)

    def send_group(self, group: GroupMessage) -> Receipt:
        body = json.dumps(group_payload(group)).encode()
        response = self._http.post_json(self._url, body, {}, self._timeout, label=LABEL)
        return Receipt(http_status=response.status)


def group_payload(group: GroupMessage) -> dict[str, Any]:
    """One message for a group: a line per alert (the first 20, then "and N more")."""
    heading = group_title(group)
    lines = "\n".join(escape(line) for line in group_lines(group))
    context = f"group `{escape(group.group_id)}`"
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": truncate(f"{EMOJI[group.event]} {heading}", HEADER_TEXT),
                "emoji": True,
            },
        },
        _section(lines),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(context, SECTION_TEXT)}]},
    ]
    return {
        "text": truncate(heading, FALLBACK_TEXT),
        "attachments": [{"color": status_color(group.alerts[0]), "blocks": blocks}],
    }


def payload(message: Message) -> tuple[dict[str, Any], str | None]:
    """The webhook JSON, and the template error when the channel template fell back."""
    alert, event = message.alert, message.event
    rendered = render_template(message)
    subject = rendered.subject
    text = subject or f"{title(alert, event)}: {headline(alert)}"
    header = f"{EMOJI[event]} {subject or f'{event.value.upper()} · {alert.rule_name}'}"

    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": truncate(header, HEADER_TEXT), "emoji": True},
        }
    ]
    line = transition_line(alert, event)
    if line:
        blocks.append(_section(f"*{escape(line)}*"))
    blocks.append(_section(rendered.body or _summary(alert)))
    fields = _fields(alert)
    for start in range(0, len(fields), FIELDS_PER_SECTION):
        blocks.append({"type": "section", "fields": fields[start : start + FIELDS_PER_SECTION]})
    buttons = _buttons(message)
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    ids = f"alert `{escape(alert.alert_id)}` · rule `{escape(alert.rule_id)}`"
    # The delivery id, where a receiver (or a reader of a re-sent message) can deduplicate on it.
    context = f"{ids} · {when(alert.last_transition.at)} · delivery `{escape(message.delivery_id)}`"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(context, SECTION_TEXT)}]})

    body = {
        "text": truncate(text, FALLBACK_TEXT),
        "attachments": [{"color": status_color(alert), "blocks": blocks}],
    }
    return body, rendered.error


def escape(text: str) -> str:
    """Slack mrkdwn control characters; keeps alert data from forming links or ``<!channel>``."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_TEXT)}}


def _summary(alert: Alert) -> str:
    summary = escape(headline(alert))
    description = alert.annotations.get("description")
    return f"*{summary}*\n{escape(description)}" if description else f"*{summary}*"


def _fields(alert: Alert) -> list[dict[str, str]]:
    pairs = [
        ("Rule", alert.rule_name),
        ("Severity", f"{alert.severity.value} · {alert.category.value}"),
        *((value.metric, observed(value)) for value in alert.values),
        ("Started", when(alert.started_at)),
    ]
    if alert.series:
        pairs.append(("Series", series(alert)))
    return [
        {"type": "mrkdwn", "text": truncate(f"*{escape(name)}*\n{escape(value)}", FIELD_TEXT)} for name, value in pairs
    ]


def _buttons(message: Message) -> list[dict[str, Any]]:
    links = [
        ("Runbook", web_url(message.alert.annotations.get("runbook_url"))),
        ("View alert", alert_link(message)),
    ]
    return [
        {"type": "button", "text": {"type": "plain_text", "text": name}, "url": url}
        for name, url in links
        if url and len(url) <= BUTTON_URL
    ]
