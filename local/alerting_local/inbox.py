"""What the local stand-ins received: `make serve`'s inbox, at ``GET /local/inbox`` on the web
front and in the dashboard's "Local inbox" panel (shown only where that route answers).

Where each kind of message lands locally:

- Slack, Teams, webhooks, any channel that posts to a URL: the HTTP receiver
  (``alerting_local.receiver``), which records each request and when it came. A request is
  matched to its channel by URL (the channel's secret, read from SSM as the notifier reads it);
  one that no channel's URL names now is kind ``http``.
- E-mail (SES), SMS and topic messages (SNS): moto, which keeps what it was sent but not when.
  ``collect`` stamps each new one with the time it first sees it; the local stack collects after
  every handler invocation, so a stamp is the end of the invocation that sent the message. A
  topic's messages are what each of its subscriptions got (the demo's SQS queue, for one). The
  channel is the one whose addresses, number or topic the message went to.

Nothing secret leaves: a URL shows its host and first path segment only (Slack's and most
webhooks' tokens are the rest), and a channel secret found in a body reads ``***``. The links an
e-mail or SMS carries (its acknowledge link among them) are listed apart, so the dashboard can
make them clickable.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email import message_from_string
from functools import partial
from typing import Any, NamedTuple, Protocol
from urllib.parse import parse_qs, urlsplit

from alerting.models.channels import ChannelType
from alerting.models.common import iso
from alerting_local.receiver import Request

UNNAMED = "http"  # a post to the receiver that no channel's URL names
KINDS = (*(t.value for t in ChannelType), UNNAMED)
TEXT_LENGTH = 140
LINK = re.compile(r"""https?://[^\s"'<>]+""")
LINKED = (ChannelType.email.value, ChannelType.sms.value)  # messages a person reads, links and all
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


class Posts(Protocol):
    """What the HTTP receiver (``alerting_local.receiver.Receiver``) recorded, and where it listens."""

    def received(self, path: str | None = None) -> list[Request]: ...

    def url(self, path: str = "/") -> str: ...


class Hook(NamedTuple):
    """A channel that posts to the receiver: which one, and its type."""

    channel_id: str
    kind: str


class Hooks(NamedTuple):
    by_path: Mapping[str, Hook]  # the receiver's path each channel's URL names
    by_destination: Mapping[tuple[str, str], Hook]  # (kind, destination as the inbox shows it)
    secrets: Sequence[str]  # every channel secret's value: never shown


@dataclass(frozen=True)
class Entry:
    entry_id: str  # stable: a page tells what is new by it
    kind: str  # a channel type, or "http"
    channel_id: str | None
    destination: str
    at: datetime
    text: str
    body: str  # as sent; JSON is parsed in the view

    def view(self, secrets: Sequence[str] = ()) -> dict[str, Any]:
        body = redact(self.body, secrets)
        try:
            parsed: Any = json.loads(body)
        except ValueError:
            parsed = body
        return {
            "id": self.entry_id,
            "channel": self.kind,
            "channel_id": self.channel_id,
            "destination": self.destination,
            "at": iso(self.at),
            "text": redact(self.text, secrets),
            "body": parsed,
            "links": links_in(body) if self.kind in LINKED else [],
        }


def destination_of(kind: ChannelType, target: Mapping[str, object]) -> str | None:
    """Where a channel's messages go, as the inbox shows it: an e-mail's addresses, an SMS's
    number, a topic's ARN; None for a channel that posts to a URL (matched by its path)."""
    if kind is ChannelType.email:
        addresses = target.get("to")
        return ", ".join(map(str, addresses)) if isinstance(addresses, list) else None
    value = target.get({ChannelType.sms: "phone_number", ChannelType.sns: "topic_arn"}.get(kind, ""))
    return value if isinstance(value, str) else None


def links_in(body: str) -> list[str]:
    """The http(s) links in an e-mail's HTML or an SMS's text, unescaped, each once, in order."""
    return list(dict.fromkeys(html.unescape(found) for found in LINK.findall(body)))


def mask_url(url: str) -> str:
    """``http://127.0.0.1:8000/services/T0/B0/XXXX`` → ``http://127.0.0.1:8000/services/***``:
    the host and the first path segment; a one-segment path may be the secret itself."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    kept = f"/{segments[0]}/***" if len(segments) > 1 else ("/***" if segments else "/")
    return f"{parts.scheme}://{parts.netloc}{kept}" if parts.netloc else kept


def redact(text: str, secrets: Sequence[str]) -> str:
    for value in secrets:
        if len(value) >= 4:
            text = text.replace(value, "***")
    return text


def short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= TEXT_LENGTH else line[: TEXT_LENGTH - 1] + "…"


def headline(body: Any, raw: str) -> str:
    """One line for a posted body: Slack's ``text``, a Teams card's fallback text, a webhook
    document's ``[EVENT][SEVERITY] rule``, a group document's size; else the body's start."""
    if isinstance(body, dict):
        if isinstance(body.get("text"), str):  # as Slack shows it: its three entities read back
            return short(body["text"].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
        card = teams_card(body)
        if isinstance(card.get("fallbackText"), str):  # its Markdown escapes read back
            return short(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", card["fallbackText"]))
        alert = body.get("alert")
        if isinstance(alert, dict):
            event, severity = str(body.get("event", "")).upper(), str(alert.get("severity", "")).upper()
            return short(f"[{event}][{severity}] {alert.get('rule_name', '')}")
        alerts = body.get("alerts")
        if isinstance(alerts, list):
            return short(f"[{str(body.get('event', 'group')).upper()}] {len(alerts)} alerts in one message")
    return short(raw)


def teams_card(body: dict[str, Any]) -> dict[str, Any]:
    """The Adaptive Card of a Teams workflow message (``{"type": "message", "attachments":
    [{"content": <card>}]}``); empty for any other body."""
    attachments = body.get("attachments") if body.get("type") == "message" else None
    first = attachments[0] if isinstance(attachments, list) and attachments else None
    content = first.get("content") if isinstance(first, dict) else None
    return content if isinstance(content, dict) else {}


def from_request(entry_id: str, request: Request, hooks: Mapping[str, Hook], base: str) -> Entry:
    """A post the receiver recorded; ``base`` is the receiver's URL (scheme, host, port)."""
    raw = request.body.decode("utf-8", "replace")
    try:
        parsed: Any = json.loads(raw)
    except ValueError:
        parsed = None
    hook = hooks.get(request.path)
    return Entry(
        entry_id=entry_id,
        kind=hook.kind if hook else UNNAMED,
        channel_id=hook.channel_id if hook else None,
        destination=mask_url(base + request.path),
        at=datetime.fromtimestamp(request.at, UTC),
        text=headline(parsed, raw),
        body=raw,
    )


def from_email(entry_id: str, message: Any, at: datetime) -> Entry:
    """moto's SES message: ``send_email`` keeps the subject and one body (the HTML one when
    both were sent); ``send_raw_email`` the whole MIME text."""
    raw = getattr(message, "raw_data", None)
    if raw is not None:
        subject = str(message_from_string(raw).get("Subject", ""))
        to: list[str] = list(message.destinations or [])
        body = raw
    else:
        subject, body = message.subject or "", message.body or ""
        destinations = message.destinations or {}
        to = [a for field in ("ToAddresses", "CcAddresses", "BccAddresses") for a in destinations.get(field, [])]
    return Entry(entry_id, ChannelType.email.value, None, ", ".join(to), at, short(subject), body)


def from_sms(entry_id: str, sms: tuple[str, str], at: datetime) -> Entry:
    number, text = sms
    return Entry(entry_id, ChannelType.sms.value, None, number, at, short(text), text)


def _published(entry_id: str, notification: tuple[Any, ...], *, arn: str, at: datetime) -> Entry:
    return from_notification(entry_id, arn, notification, at)


def from_notification(entry_id: str, topic_arn: str, notification: tuple[Any, ...], at: datetime) -> Entry:
    """A topic's publish, as moto keeps it: (message id, message, subject, attributes, group)."""
    _, message, subject, *_ = notification
    try:
        parsed: Any = json.loads(message)
    except ValueError:
        parsed = None
    text = short(subject) if subject else headline(parsed, message)
    return Entry(entry_id, ChannelType.sns.value, None, topic_arn, at, text, message)


class MotoOutbox:
    """What moto's SES and SNS backends were sent, oldest first, read under the lock that
    serialises moto's requests (its backends are not thread-safe)."""

    def __init__(self, lock: AbstractContextManager[Any], account: str, region: str) -> None:
        self._lock = lock
        self._account, self._region = account, region

    def read(self) -> tuple[list[Any], list[tuple[str, str]], dict[str, list[tuple[Any, ...]]]]:
        """(e-mails, SMS as (number, text), each topic's publishes)."""
        from moto.ses.models import ses_backends
        from moto.sns.models import sns_backends

        with self._lock:
            ses = ses_backends[self._account][self._region]
            sns = sns_backends[self._account][self._region]
            emails = list(ses.sent_messages)
            sms = [(number, text) for number, text, *_ in list(sns.sms_messages.values())]
            topics = {arn: list(topic.sent_notifications) for arn, topic in list(sns.topics.items())}
        return emails, sms, topics


class Inbox:
    """The receiver's requests (with their own times) and moto's messages (stamped by `collect`)."""

    def __init__(
        self,
        receiver: Posts,
        hooks: Callable[[], Hooks],
        outbox: MotoOutbox,
        *,
        ignore: Sequence[str] = (),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._receiver = receiver
        self._hooks = hooks
        self._outbox = outbox
        self._ignore = frozenset(ignore)  # receiver paths that are no channel's (CloudFormation's answer)
        self._clock = clock
        self._lock = threading.Lock()
        self._stamped: list[Entry] = []
        self._seen: dict[str, int] = {}  # source ("email", "sms", "sns:<arn>") → messages stamped

    def collect(self) -> None:
        """Stamp what moto was sent since the last call with the time now."""
        with self._lock:  # a read and its stamping at once: two collects never stamp one message twice
            emails, sms, topics = self._outbox.read()
            now = self._clock()
            self._stamp("email", emails, lambda i, m: from_email(i, m, now))
            self._stamp("sms", sms, lambda i, m: from_sms(i, m, now))
            for arn, notifications in topics.items():
                self._stamp(f"sns:{arn}", notifications, partial(_published, arn=arn, at=now))

    def _stamp(self, source: str, messages: Sequence[Any], entry: Callable[[str, Any], Entry]) -> None:
        for message in messages[self._seen.get(source, 0) :]:
            self._stamped.append(entry(f"aws-{len(self._stamped)}", message))
        self._seen[source] = len(messages)

    def entries(self, kind: str | None = None, limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
        """Newest first, at most `limit`, of one kind or all; secrets masked."""
        self.collect()
        hooks = self._hooks()
        base = self._receiver.url("")
        posted = (
            from_request(f"http-{n}", request, hooks.by_path, base)
            for n, request in enumerate(self._receiver.received())
            if request.path not in self._ignore
        )
        with self._lock:
            sent = [e if e.channel_id else _named(e, hooks) for e in self._stamped]
        everything = [*posted, *sent]
        # by time, then as recorded: a moto batch shares its stamp
        ordered = sorted(enumerate(everything), key=lambda pair: (pair[1].at, pair[0]), reverse=True)
        chosen: Iterator[Entry] = (e for _, e in ordered if kind is None or e.kind == kind)
        return [e.view(hooks.secrets) for _, e in zip(range(limit), chosen, strict=False)]


def _named(entry: Entry, hooks: Hooks) -> Entry:
    hook = hooks.by_destination.get((entry.kind, entry.destination))
    return replace(entry, channel_id=hook.channel_id) if hook else entry


def answer(inbox: Inbox, query: str) -> tuple[int, dict[str, Any]]:
    """``GET /local/inbox?channel=slack&limit=20``: (status, body); a bad parameter is a 400
    naming it."""
    params = parse_qs(query, keep_blank_values=True)
    errors = []
    kind = params.get("channel", [""])[-1] or None
    if kind is not None and kind not in KINDS:
        errors.append({"field": "channel", "message": f"must be one of {', '.join(KINDS)}"})
    raw_limit = params.get("limit", [str(DEFAULT_LIMIT)])[-1]
    limit = int(raw_limit) if raw_limit.isascii() and raw_limit.isdigit() else 0
    if not 1 <= limit <= MAX_LIMIT:
        errors.append({"field": "limit", "message": f"must be a whole number from 1 to {MAX_LIMIT}"})
    unknown = sorted(set(params) - {"channel", "limit"})
    errors.extend({"field": name, "message": "is not a parameter of the inbox (channel, limit)"} for name in unknown)
    if errors:
        return 400, {"message": "invalid query", "errors": errors}
    return 200, {"items": inbox.entries(kind, limit)}
