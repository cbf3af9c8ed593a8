"""`make serve`'s local inbox: what the stand-ins received, newest first, each named by its
channel, with no secret in it; moto's messages stamped when first seen."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from alerting.models.channels import ChannelType
from alerting_local.inbox import Hook, Hooks, Inbox, answer, destination_of, headline, mask_url
from alerting_local.receiver import Request

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
BASE = "http://127.0.0.1:8123"
SLACK_TOKEN = "T000/B000/xoxbsecrettoken"
TOPIC = "arn:aws:sns:us-east-1:123456789012:alerting-AlertsTopic"
DOCUMENT = {
    "schema_version": "1",
    "event": "firing",
    "alert": {"rule_name": "High CPU", "severity": "high"},
}

TEAMS_CARD = {
    "type": "message",
    "attachments": [
        {
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": None,
            "content": {"type": "AdaptiveCard", "fallbackText": "\\[FIRING\\]\\[HIGH\\] High\\_CPU: CPU at 97%"},
        }
    ],
}


class FakeReceiver:
    def __init__(self) -> None:
        self.requests: list[Request] = []

    def post(self, path: str, body: Any, at: datetime) -> None:
        self.requests.append(Request("POST", path, {}, json.dumps(body).encode(), at.timestamp(), 200))

    def received(self, path: str | None = None) -> list[Request]:
        return [r for r in self.requests if path is None or r.path == path]

    def url(self, path: str = "/") -> str:
        return BASE + path


class FakeOutbox:
    """moto's backends as the inbox reads them: e-mails, SMS, each topic's publishes."""

    def __init__(self) -> None:
        self.emails: list[Any] = []
        self.sms: list[tuple[str, str]] = []
        self.topics: dict[str, list[tuple[Any, ...]]] = {}

    def read(self) -> tuple[list[Any], list[tuple[str, str]], dict[str, list[tuple[Any, ...]]]]:
        return list(self.emails), list(self.sms), {arn: list(n) for arn, n in self.topics.items()}

    def email(self, subject: str, to: list[str]) -> None:
        message = SimpleNamespace(subject=subject, body="<p>hi</p>", destinations={"ToAddresses": to}, raw_data=None)
        self.emails.append(message)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


HOOKS = Hooks(
    by_path={f"/services/{SLACK_TOKEN}": Hook("ops", "slack"), "/hook/abc": Hook("pager", "webhook")},
    by_destination={
        ("email", "oncall@example.com"): Hook("mail", "email"),
        ("sns", TOPIC): Hook("alerts-topic", "sns"),
    },
    secrets=[f"{BASE}/services/{SLACK_TOKEN}", "whsec-12345678"],
)


def inbox_of(receiver: FakeReceiver, outbox: FakeOutbox, clock: Clock) -> Inbox:
    return Inbox(receiver, lambda: HOOKS, outbox, ignore=("/cloudformation-response",), clock=clock)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"{BASE}/services/{SLACK_TOKEN}", f"{BASE}/services/***"),
        (f"{BASE}/hook/abc", f"{BASE}/hook/***"),
        (f"{BASE}/onlytoken", f"{BASE}/***"),  # one segment: it may be the token itself
        (f"{BASE}/", f"{BASE}/"),
    ],
    ids=["slack", "two-segments", "one-segment", "root"],
)
def test_mask_url_keeps_the_host_and_first_segment_only(url: str, shown: str):
    assert mask_url(url) == shown


@pytest.mark.parametrize(
    ("kind", "target", "shown"),
    [
        (ChannelType.email, {"to": ["a@example.com", "b@example.com"]}, "a@example.com, b@example.com"),
        (ChannelType.sms, {"phone_number": "+4915111111111"}, "+4915111111111"),
        (ChannelType.sns, {"topic_arn": TOPIC}, TOPIC),
        (ChannelType.slack, {}, None),  # its URL is a secret, matched by the receiver's path
    ],
    ids=["email", "sms", "sns", "slack"],
)
def test_destination_of_a_channel_is_what_its_messages_show(kind: ChannelType, target: dict[str, Any], shown: str):
    assert destination_of(kind, target) == shown


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ({"text": "[FIRING][HIGH] High CPU: CPU at 97%"}, "[FIRING][HIGH] High CPU: CPU at 97%"),
        ({"text": "CPU 97 (threshold &gt; 90) &lt;!channel&gt; &amp;"}, "CPU 97 (threshold > 90) <!channel> &"),
        (DOCUMENT, "[FIRING][HIGH] High CPU"),
        ({"event": "firing", "alerts": [{}, {}, {}]}, "[FIRING] 3 alerts in one message"),
        (None, "plain   text\nbody"),
        (TEAMS_CARD, "[FIRING][HIGH] High_CPU: CPU at 97%"),
        ({"type": "message", "attachments": ["x"]}, '{"type": "message", "attachments": ["x"]}'),
    ],
    ids=["slack", "slack-escaped", "webhook-document", "group-document", "not-json", "teams", "teams-no-card"],
)
def test_headline_says_in_one_line_what_a_post_was(body: Any, line: str):
    raw = json.dumps(body) if body is not None else line
    assert headline(body, raw) == " ".join(line.split())


def test_inbox_lists_every_stand_in_newest_first_named_by_channel():
    receiver, outbox, clock = FakeReceiver(), FakeOutbox(), Clock()
    inbox = inbox_of(receiver, outbox, clock)
    receiver.post("/cloudformation-response", {"Status": "SUCCESS"}, T0)  # the seeding's answer: no channel's
    receiver.post(f"/services/{SLACK_TOKEN}", {"text": "[FIRING][HIGH] High CPU"}, T0 + timedelta(seconds=1))
    receiver.post("/hook/abc", DOCUMENT, T0 + timedelta(seconds=2))
    clock.now = T0 + timedelta(seconds=3)
    outbox.email("[FIRING][HIGH] High CPU", ["oncall@example.com"])
    outbox.sms.append(("+4915111111111", "FIRING High CPU"))
    outbox.topics[TOPIC] = [("m-1", json.dumps(DOCUMENT), "[FIRING][HIGH] High CPU", None, None)]
    inbox.collect()

    items = inbox.entries()

    assert [(i["channel"], i["channel_id"], i["destination"]) for i in items] == [
        ("sns", "alerts-topic", TOPIC),  # what one collect found shares its stamp: last read first
        ("sms", None, "+4915111111111"),
        ("email", "mail", "oncall@example.com"),
        ("webhook", "pager", f"{BASE}/hook/***"),
        ("slack", "ops", f"{BASE}/services/***"),
    ]
    assert [i["at"] for i in items] == ["2026-12-02T10:00:03Z"] * 3 + ["2026-12-02T10:00:02Z", "2026-12-02T10:00:01Z"]
    assert items[3]["body"] == DOCUMENT and items[3]["text"] == "[FIRING][HIGH] High CPU"
    assert items[2]["text"] == "[FIRING][HIGH] High CPU" and items[2]["body"] == "<p>hi</p>"


def test_inbox_stamps_a_message_when_first_seen_and_keeps_that_time():
    receiver, outbox, clock = FakeReceiver(), FakeOutbox(), Clock()
    inbox = inbox_of(receiver, outbox, clock)
    outbox.sms.append(("+4915111111111", "first"))
    inbox.collect()
    clock.now = T0 + timedelta(minutes=5)
    outbox.sms.append(("+4915111111111", "second"))

    items = inbox.entries()  # reading collects too

    assert [(i["text"], i["at"]) for i in items] == [
        ("second", "2026-12-02T10:05:00Z"),
        ("first", "2026-12-02T10:00:00Z"),
    ]
    assert len({i["id"] for i in items}) == 2


def test_inbox_never_shows_a_channel_secret():
    receiver, outbox, clock = FakeReceiver(), FakeOutbox(), Clock()
    inbox = inbox_of(receiver, outbox, clock)
    receiver.post("/hook/abc", {"text": "signed with whsec-12345678", "echo": f"{BASE}/services/{SLACK_TOKEN}"}, T0)

    (item,) = inbox.entries()

    assert "whsec-12345678" not in json.dumps(item) and SLACK_TOKEN not in json.dumps(item)
    assert item["body"] == {"text": "signed with ***", "echo": "***"}


def test_inbox_filters_by_kind_and_limits():
    receiver, outbox, clock = FakeReceiver(), FakeOutbox(), Clock()
    inbox = inbox_of(receiver, outbox, clock)
    for n in range(3):
        receiver.post(f"/services/{SLACK_TOKEN}", {"text": f"message {n}"}, T0 + timedelta(seconds=n))
    outbox.sms.append(("+4915111111111", "page"))

    status, body = answer(inbox, "channel=slack&limit=2")

    assert status == 200
    assert [i["text"] for i in body["items"]] == ["message 2", "message 1"]


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("channel=pigeon", ["channel"]),
        ("limit=0", ["limit"]),
        ("limit=1001", ["limit"]),
        ("limit=ten", ["limit"]),
        ("since=yesterday", ["since"]),
    ],
    ids=["unknown-kind", "zero", "too-many", "not-a-number", "unknown-parameter"],
)
def test_inbox_answers_a_bad_query_with_400_naming_the_parameter(query: str, fields: list[str]):
    inbox = inbox_of(FakeReceiver(), FakeOutbox(), Clock())

    status, body = answer(inbox, query)

    assert status == 400
    assert [e["field"] for e in body["errors"]] == fields


def test_two_collects_at_once_stamp_each_message_once():
    """The scheduler's invocations and the front's reads collect from two threads."""
    receiver, outbox, clock = FakeReceiver(), PausingOutbox(), Clock()
    inbox = inbox_of(receiver, outbox, clock)
    outbox.sms.append(("+4915111111111", "first"))
    first = threading.Thread(target=inbox.collect)
    first.start()
    assert outbox.reading.wait(5)  # the first collect has read one message and is paused
    outbox.sms.append(("+4915111111111", "second"))
    second = threading.Thread(target=inbox.collect)
    second.start()
    second.join(0.2)  # let it run as far as it may while the first is paused
    outbox.go.set()
    first.join(5)
    second.join(5)

    assert [i["text"] for i in inbox.entries()] == ["second", "first"]


class PausingOutbox(FakeOutbox):
    """Its first read pauses after reading, until told to go on."""

    def __init__(self) -> None:
        super().__init__()
        self.reading, self.go = threading.Event(), threading.Event()

    def read(self) -> tuple[list[Any], list[tuple[str, str]], dict[str, list[tuple[Any, ...]]]]:
        snapshot = super().read()
        if not self.reading.is_set():
            self.reading.set()
            self.go.wait(5)
        return snapshot
