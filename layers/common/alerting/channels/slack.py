"""Slack incoming webhook: a ``text`` fallback plus one attachment (for the colour bar) whose
``blocks`` carry the message in Block Kit.

Layout: header, who/when (for every event but firing), summary, fields (rule, severity, value
vs threshold per condition, start, series), buttons, context. That is at most 9 blocks (10
conditions make 14 fields: two sections), far below Slack's 50; every text is cut to its own
limit. The channel template's subject replaces the header and the fallback text, its body the
summary section.

Buttons: links to the runbook and the alert; and, on a channel with a signing secret,
Acknowledge (while firing), Resolve and "Silence 1 h" (while open), whose clicks come back to
the ingest API (`alerting.channels.slack_actions`). A group's buttons act on every alert of
the message, so only a group whose alerts are all listed (``render.MAX_GROUP_LINES``) has them.

Every text that reaches Slack is escaped (``&``, ``<``, ``>``, Slack's control characters in
plain_text and mrkdwn alike): the fallback ``text``, every block, and the template's output. So
no alert data, label, dimension value, rule name, annotation or template can form a mention
(``<!channel>``, ``<@U…>``) or a link with a label of its choosing (``<url|label>``); the only
links are the buttons we build, whose labels are ours.
"""

from __future__ import annotations

import json
from typing import Any

from alerting.channels import render
from alerting.channels.base import GroupMessage, Message, Receipt
from alerting.channels.http import HttpClient
from alerting.channels.slack_actions import ACKNOWLEDGE, OPEN, RESOLVE, SILENCE, ButtonKey, Target, button_value
from alerting.models.alerts import Alert
from alerting.models.common import AlertEvent, AlertStatus

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
    """``buttons``: the channel's key when it has a signing secret (its messages get action buttons)."""

    def __init__(self, http: HttpClient, webhook_url: str, *, timeout: float, buttons: ButtonKey | None = None) -> None:
        self._http = http
        self._url = webhook_url
        self._timeout = timeout
        self._buttons = buttons

    def send(self, message: Message) -> Receipt:
        body, template_error = payload(message, self._buttons)
        response = self._http.post_json(self._url, json.dumps(body).encode(), {}, self._timeout, label=LABEL)
        return Receipt(http_status=response.status, template_error=template_error)

    def send_group(self, group: GroupMessage) -> Receipt:
        body = json.dumps(group_payload(group, self._buttons)).encode()
        response = self._http.post_json(self._url, body, {}, self._timeout, label=LABEL)
        return Receipt(http_status=response.status)


def group_payload(
    group: GroupMessage, buttons: ButtonKey | None = None, *, note: str | None = None, silenced: bool = False
) -> dict[str, Any]:
    """One message for a group: a line per alert (the first 20, then "and N more"). ``note``:
    what was just done from Slack; ``silenced``: its alerts were silenced from it."""
    heading = render.group_title(group)
    lines = "\n".join(escape(line) for line in render.group_lines(group))
    blocks: list[dict[str, Any]] = [_header(f"{EMOJI[group.event]} {heading}")]
    if note:
        blocks.append(_section(f"*{escape(note)}*"))
    blocks.append(_section(lines))
    if buttons is not None and len(group.alerts) <= render.MAX_GROUP_LINES:
        target = Target(buttons.channel_id, tuple(a.alert_id for a in group.alerts), group.group_id, silenced)
        elements = _action_buttons(group.alerts, button_value(buttons, target), silenced=silenced)
        if elements:
            blocks.append({"type": "actions", "elements": elements})
    blocks.append(_context(f"group `{escape(group.group_id)}`"))
    return {
        "text": _plain(heading, FALLBACK_TEXT),
        "attachments": [{"color": render.status_color(group.alerts[0]), "blocks": blocks}],
    }


def payload(
    message: Message, buttons: ButtonKey | None = None, *, note: str | None = None, silenced: bool = False
) -> tuple[dict[str, Any], str | None]:
    """The webhook JSON, and the template error when the channel template fell back. ``note``:
    what was just done from Slack (a silence); ``silenced``: the alert was silenced from it."""
    alert, event = message.alert, message.event
    rendered = render.render_template(message)
    subject = rendered.subject
    text = subject or f"{render.title(alert, event)}: {render.headline(alert)}"
    header = f"{EMOJI[event]} {subject or f'{event.value.upper()} · {alert.rule_name}'}"

    blocks: list[dict[str, Any]] = [_header(header)]
    line = render.transition_line(alert, event)
    for said in filter(None, (line, note)):
        blocks.append(_section(f"*{escape(said)}*"))
    # A template's output is text like any other: its *bold* works, a <link|label> does not.
    blocks.append(_section(escape(rendered.body) if rendered.body else _summary(alert)))
    fields = _fields(alert)
    for start in range(0, len(fields), FIELDS_PER_SECTION):
        blocks.append({"type": "section", "fields": fields[start : start + FIELDS_PER_SECTION]})
    value = button_value(buttons, Target(buttons.channel_id, (alert.alert_id,), silenced=silenced)) if buttons else None
    elements = [*_action_buttons((alert,), value, silenced=silenced), *_links(message, value)]
    if elements:
        blocks.append({"type": "actions", "elements": elements})
    ids = f"alert `{escape(alert.alert_id)}` · rule `{escape(alert.rule_id)}`"
    # The delivery id, where a receiver (or a reader of a re-sent message) can deduplicate on it.
    blocks.append(
        _context(f"{ids} · {render.when(alert.last_transition.at)} · delivery `{escape(message.delivery_id)}`")
    )

    body = {
        "text": _plain(text, FALLBACK_TEXT),
        "attachments": [{"color": render.status_color(alert), "blocks": blocks}],
    }
    return body, rendered.error


def escape(text: str) -> str:
    """Slack's control characters as entities; keeps alert data from forming links or ``<!channel>``."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str, limit: int) -> str:
    """Unescaped text (alert data, a template's subject) as Slack text of at most ``limit``."""
    return _cut(escape(text), limit)


def _cut(text: str, limit: int) -> str:
    """``truncate`` for escaped text: the cut never leaves half an entity (``&am…``)."""
    cut = render.truncate(text, limit)
    if cut == text:
        return text
    kept = cut[:-1]
    amp = kept.rfind("&", len(kept) - 4)  # an entity is at most 5 characters: "&amp;"
    if amp != -1 and ";" not in kept[amp:]:
        kept = kept[:amp]
    return kept + "…"


def _header(text: str) -> dict[str, Any]:
    """A header block of unescaped ``text``."""
    return {"type": "header", "text": {"type": "plain_text", "text": _plain(text, HEADER_TEXT), "emoji": True}}


def _section(mrkdwn: str) -> dict[str, Any]:
    """A section of mrkdwn whose data parts are already escaped."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(mrkdwn, SECTION_TEXT)}}


def _context(mrkdwn: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(mrkdwn, SECTION_TEXT)}]}


def _summary(alert: Alert) -> str:
    summary = escape(render.headline(alert))
    description = alert.annotations.get("description")
    return f"*{summary}*\n{escape(description)}" if description else f"*{summary}*"


def _fields(alert: Alert) -> list[dict[str, str]]:
    pairs = [
        ("Rule", alert.rule_name),
        ("Severity", f"{alert.severity.value} · {alert.category.value}"),
        *((value.metric, render.observed(value)) for value in alert.values),
        ("Started", render.when(alert.started_at)),
    ]
    if alert.series:
        pairs.append(("Series", render.series(alert)))
    return [{"type": "mrkdwn", "text": _cut(f"*{escape(name)}*\n{escape(value)}", FIELD_TEXT)} for name, value in pairs]


def _links(message: Message, value: str | None) -> list[dict[str, Any]]:
    """Link buttons. Slack reports their clicks to the app too: with ``value`` (the message's
    signed one) such a report is checked and answered like any other, doing nothing."""
    links = [
        ("Runbook", "runbook", render.web_url(message.alert.annotations.get("runbook_url"))),
        ("View alert", "alert", render.alert_link(message)),
    ]
    return [
        {"type": "button", "text": _button_text(name), "url": url}
        | ({"action_id": f"{OPEN}_{name_id}", "value": value} if value else {})
        for name, name_id, url in links
        if url and len(url) <= BUTTON_URL
    ]


def _action_buttons(alerts: tuple[Alert, ...], value: str | None, *, silenced: bool) -> list[dict[str, Any]]:
    """Acknowledge while one of ``alerts`` fires; Resolve and Silence while one is open (Silence
    not once they were silenced from this message). None without a value: no signing secret."""
    if value is None:
        return []
    firing = any(a.status is AlertStatus.firing for a in alerts)
    opened = any(a.is_open for a in alerts)
    these = "this alert" if len(alerts) == 1 else f"these {len(alerts)} alerts"
    wanted = (
        (ACKNOWLEDGE, "Acknowledge", firing, None),
        (RESOLVE, "Resolve", opened, f"Resolve {these}?"),
        (SILENCE, "Silence 1 h", opened and not silenced, f"Silence {these} for an hour?"),
    )
    return [_button(action, name, value, confirm) for action, name, shown, confirm in wanted if shown]


def _button(action: str, name: str, value: str, confirm: str | None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "text": _button_text(name), "action_id": action, "value": value}
    if action == ACKNOWLEDGE:
        button["style"] = "primary"
    if confirm:
        button["confirm"] = {
            "title": {"type": "plain_text", "text": "Are you sure?"},
            "text": {"type": "plain_text", "text": confirm},
            "confirm": {"type": "plain_text", "text": name},
            "deny": {"type": "plain_text", "text": "Cancel"},
        }
    return button


def _button_text(name: str) -> dict[str, str]:
    return {"type": "plain_text", "text": name}
