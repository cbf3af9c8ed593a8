"""E-mail through Amazon SES (v1 ``SendEmail``): a subject that names the transition, severity
and rule (``[FIRING][HIGH] High CPU Usage``), and matching text and HTML bodies.

Every alert value is escaped in the HTML; links are made only from http(s) URLs. The channel
template's subject replaces the subject, its body the summary (details stay). A message that
carries an acknowledge link (`alerting.ack_links`) shows it under the summary.
"""

from __future__ import annotations

import html
import re
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from alerting.ack_links import LIFETIME
from alerting.channels import render
from alerting.channels.base import GroupMessage, Message, Receipt
from alerting.channels.failures import aws_error

LABEL = "ses send_email"
SUBJECT_LENGTH = 200
# Enough for any real summary or annotation; a runaway one should not make a megabyte e-mail.
SUMMARY_LENGTH = 10_000
VALUE_LENGTH = 2000
_SHOWN_ELSEWHERE = ("summary", "description", "runbook_url")

Row = tuple[str, str, str | None]  # label, text, link
ACK_HINT = f"opens a page to confirm; works for {LIFETIME.total_seconds() / 3600:g} hours while the alert fires"


class EmailSender:
    def __init__(self, ses_client: Any, *, sender: str, to: list[str]) -> None:
        self._client = ses_client
        self._sender = sender
        self._to = list(to)

    def send(self, message: Message) -> Receipt:
        rendered = render.render_template(message)
        subject = one_line(rendered.subject or render.title(message.alert, message.event))
        summary = render.truncate(rendered.body or _default_summary(message), SUMMARY_LENGTH)
        message_id = self._mail(subject, text_body(message, summary), html_body(message, summary))
        return Receipt(provider_message_id=message_id, template_error=rendered.error)

    def send_group(self, group: GroupMessage) -> Receipt:
        """One mail for the group: a line per alert, each with its acknowledge link if it has one."""
        subject = one_line(render.group_title(group))
        rows = _group_rows(group)
        text = (
            subject + "\n\n" + "".join(f"{line}\n" + (f"  Acknowledge: {url}\n" if url else "") for line, url in rows)
        )
        items = "".join(f"<li>{html.escape(line)}{_group_ack(url)}</li>" for line, url in rows)
        page = (
            '<!doctype html><html><body style="font-family:sans-serif;font-size:14px">'
            f'<div style="border-left:6px solid {render.status_color(group.alerts[0])};padding-left:12px">'
            f"<h2>{html.escape(subject)}</h2><ul>{items}</ul></div></body></html>"
        )
        return Receipt(provider_message_id=self._mail(subject, text, page))

    def _mail(self, subject: str, text: str, page: str) -> str:
        try:
            response = self._client.send_email(
                Source=self._sender,
                Destination={"ToAddresses": self._to},
                Message={
                    "Subject": {"Data": render.truncate(subject, SUBJECT_LENGTH), "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": text, "Charset": "UTF-8"}, "Html": {"Data": page, "Charset": "UTF-8"}},
                },
            )
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(LABEL, exc) from None
        return str(response["MessageId"])


def one_line(text: str) -> str:
    """A header value: line breaks and control characters would break (or inject) headers."""
    return re.sub(r"[\x00-\x1f\x7f\s]+", " ", text).strip()


def text_body(message: Message, summary: str) -> str:
    lines = [render.title(message.alert, message.event)]
    line = render.transition_line(message.alert, message.event)
    if line:
        lines.append(line)
    lines += ["", summary, ""]
    if message.ack_url:
        lines += [f"Acknowledge ({ACK_HINT}): {message.ack_url}", ""]
    lines += [f"{label}: {text}" for label, text, _ in _rows(message)]
    return "\n".join(lines) + "\n"


def html_body(message: Message, summary: str) -> str:
    e = html.escape
    line = render.transition_line(message.alert, message.event)
    rows = "".join(
        f'<tr><th align="left" style="padding-right:12px">{e(label)}</th><td>{_cell(text, link)}</td></tr>'
        for label, text, link in _rows(message)
    )
    return (
        '<!doctype html><html><body style="font-family:sans-serif;font-size:14px">'
        f'<div style="border-left:6px solid {render.status_color(message.alert)};padding-left:12px">'
        f"<h2>{e(render.title(message.alert, message.event))}</h2>"
        + (f"<p><strong>{e(line)}</strong></p>" if line else "")
        + f'<p style="white-space:pre-wrap">{e(summary)}</p>'
        + (_ack_button(message.ack_url) if message.ack_url else "")
        + f"<table>{rows}</table></div></body></html>"
    )


def _group_rows(group: GroupMessage) -> list[tuple[str, str | None]]:
    """Each listed alert's line with its acknowledge link (or None), then "and N more" if there is more."""
    lines = render.group_lines(group)
    shown = group.alerts[: len(lines)]
    return [(line, group.ack_urls.get(alert.alert_id)) for line, alert in zip(lines, shown, strict=False)] + [
        (line, None) for line in lines[len(shown) :]
    ]


def _group_ack(url: str | None) -> str:
    return f' <a href="{html.escape(url, quote=True)}">Acknowledge</a>' if url else ""


def _ack_button(url: str) -> str:
    style = "display:inline-block;padding:8px 16px;background:#1f6feb;color:#ffffff;text-decoration:none"
    return (
        f'<p><a href="{html.escape(url, quote=True)}" style="{style}">Acknowledge</a> '
        f'<span style="color:#666666">{html.escape(ACK_HINT)}</span></p>'
    )


def _cell(text: str, link: str | None) -> str:
    if link:
        return f'<a href="{html.escape(link, quote=True)}">{html.escape(text)}</a>'
    return html.escape(text)


def _default_summary(message: Message) -> str:
    description = message.alert.annotations.get("description")
    summary = render.headline(message.alert)
    return f"{summary}\n\n{description}" if description else summary


def _rows(message: Message) -> list[Row]:
    alert = message.alert
    rows: list[Row] = [(value.metric, render.observed(value), None) for value in alert.values]
    rows.append(("Started", render.when(alert.started_at), None))
    if alert.series:
        rows.append(("Series", render.series(alert), None))
    rows.append(("Severity", f"{alert.severity.value} · {alert.category.value}", None))
    rows.append(("Rule", f"{alert.rule_name} ({alert.rule_id})", None))
    rows += [(name, text, None) for name, text in sorted(alert.annotations.items()) if name not in _SHOWN_ELSEWHERE]
    runbook = render.web_url(alert.annotations.get("runbook_url"))
    if runbook:
        rows.append(("Runbook", runbook, runbook))
    rows.append(("Alert", alert.alert_id, render.alert_link(message)))
    return rows
