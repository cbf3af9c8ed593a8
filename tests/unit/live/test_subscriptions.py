"""Which transitions a live connection hears, and the message it gets."""

from __future__ import annotations

import json

import pytest

from alerting.errors import InvalidInput
from alerting.live import Subscription, live_message, parse_subscription, subscription_from_query
from alerting.stream import Notice
from tests.unit.live.conftest import make_alert


@pytest.mark.parametrize(
    ("subscription", "hears"),
    [
        ({}, True),
        ({"status": ["firing"]}, True),
        ({"status": ["resolved"]}, False),
        ({"severity": ["critical", "high"]}, True),
        ({"severity": ["low"]}, False),
        ({"rule_id": ["high-cpu", "other"]}, True),
        ({"rule_id": ["other"]}, False),
        ({"labels": {"team": "web"}}, True),
        ({"labels": {"team": "db"}}, False),
        ({"labels": {"missing": "x"}}, False),
        ({"severity": ["high"], "labels": {"team": "db"}}, False),  # every field must match
    ],
)
def test_subscription_matches_every_listed_field(subscription, hears):
    alert = make_alert(severity="high", labels={"team": "web"})
    assert Subscription.model_validate(subscription).matches(alert) is hears


def test_subscription_from_query_splits_lists_and_reads_labels():
    query = {
        "status": "firing,acknowledged",
        "severity": "critical",
        "label.team": "web",
        "X-Amz-Date": "20261202T000000Z",
    }
    subscription = subscription_from_query(query)
    assert [s.value for s in subscription.status] == ["firing", "acknowledged"]
    assert [s.value for s in subscription.severity] == ["critical"]
    assert subscription.labels == {"team": "web"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"severity": "urgent"}, "query.severity.0"),
        ({"colour": "red"}, "colour"),
        ({"rule_id": "Not An Id"}, "query.rule_id.0"),
    ],
)
def test_subscription_from_query_names_the_bad_field(query, field):
    with pytest.raises(InvalidInput) as refused:
        subscription_from_query(query)
    assert refused.value.field == field


def test_parse_subscription_refuses_unknown_fields_naming_them():
    with pytest.raises(InvalidInput) as refused:
        parse_subscription({"severity": ["high"], "everything": True})
    assert refused.value.field == "filter.everything"


def test_live_message_is_the_webhook_document_and_the_same_bytes_every_time():
    alert = make_alert()
    notice = Notice(alert, alert.last_transition.event, alert.version)
    message = live_message(notice)
    assert message == live_message(notice)  # a redelivered record sends identical bytes
    body = json.loads(message)
    assert body["schema_version"] == "1"
    assert body["event"] == "firing"
    assert body["delivery_id"] == f"{alert.alert_id}:{alert.version}:live"
    assert body["alert"]["alert_id"] == alert.alert_id and body["transition"]["seq"] == alert.version
