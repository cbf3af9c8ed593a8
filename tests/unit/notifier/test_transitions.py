"""Stream records → transitions: which records announce something, and which are malformed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerting.errors import MalformedRecord
from alerting.evaluation import AlertChange, initial_state
from alerting.lifecycle import acknowledge, start_alert
from alerting.models.alerts import AlertKind
from alerting.models.common import AlertEvent
from alerting.repositories.dynamo import to_item
from alerting.repositories.stream_records import parse_record
from tests.factories import T0, make_rule


def image(alert) -> dict:
    return to_item({**alert.model_dump(mode="json"), "feed": "alerts"})


@pytest.fixture
def fired():
    rule = make_rule()
    return start_alert(rule, initial_state(rule), AlertChange(AlertKind.threshold, "a-1", "r"), [], T0)


def record(name: str, new=None, old=None) -> dict:
    change: dict = {
        "Keys": {"alert_id": {"S": "a-1"}},
        "SequenceNumber": "1",
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if new is not None:
        change["NewImage"] = image(new)
    if old is not None:
        change["OldImage"] = image(old)
    return {"eventName": name, "dynamodb": change}


def test_insert_is_firing(fired):
    notice = parse_record(record("INSERT", new=fired))
    assert (notice.event, notice.seq, notice.alert.alert_id) == (AlertEvent.firing, 1, "a-1")


def test_modify_that_bumps_version_is_its_transition(fired):
    acked, _ = acknowledge(fired, "alice", T0 + timedelta(minutes=1))
    notice = parse_record(record("MODIFY", new=acked, old=fired))
    assert (notice.event, notice.seq) == (AlertEvent.acknowledged, 2)


def test_modify_without_a_new_version_announces_nothing(fired):
    assert parse_record(record("MODIFY", new=fired, old=fired)) is None


def test_remove_announces_nothing(fired):
    assert parse_record(record("REMOVE", old=fired)) is None


@pytest.mark.parametrize(
    "bad",
    [
        {"eventName": "INSERT"},
        {"eventName": "SOMETHING", "dynamodb": {}},
        {"eventName": "INSERT", "dynamodb": {"Keys": {}}},
        {"eventName": "INSERT", "dynamodb": {"NewImage": {"alert_id": {"S": "x"}}}},
    ],
)
def test_malformed_records_raise(bad):
    with pytest.raises(MalformedRecord):
        parse_record(bad)


def test_a_retry_message_carries_the_transition_as_it_was(fired):
    from alerting.stream import Notice
    from notifier.transitions import parse_retry, retry_message

    notice, channel_id = parse_retry(retry_message(Notice(fired, AlertEvent.firing, 1), "ops-slack"))
    assert (notice.alert, notice.event, notice.seq, channel_id) == (fired, AlertEvent.firing, 1, "ops-slack")


@pytest.mark.parametrize("body", ["", "{}", '{"alert": {}, "event": "firing", "seq": 1, "channel_id": "x"}'])
def test_malformed_retry_messages_raise(body):
    from notifier.transitions import parse_retry

    with pytest.raises(MalformedRecord):
        parse_retry(body)
