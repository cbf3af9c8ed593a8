"""`make serve`'s local inbox on the local stack: after an alert fires, `GET /local/inbox` on the
web front lists the Slack message the receiver got and the e-mail moto's SES got, newest
first, named by channel, with the Slack URL's token masked; the API Lambda has no such route."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests

from alerting.models.common import floor_minute
from alerting_local.serve import Runtime, web_front
from alerting_local.stack import LocalStack

TOKEN = "T0001/B0001/s3cr3tSlackToken"


@pytest.fixture(scope="module")
def fired() -> Iterator[tuple[LocalStack, str]]:
    """The default High CPU rule routed to a Slack and an e-mail channel, fired once."""
    with LocalStack(overrides={"LogLevel": "ERROR"}) as local, web_front(Runtime(local), quiet=True) as url:
        local.seed_default_rules()
        slack = {"webhook_url": local.receiver.url(f"/services/{TOKEN}")}
        for channel in (
            {"channel_id": "ops", "name": "#ops", "type": "slack", "target": slack},
            {"channel_id": "mail", "name": "on-call mail", "type": "email", "target": {"to": ["oncall@example.com"]}},
        ):
            status, body = local.api("POST", "/channels", body=channel)
            assert status == 201, body
        _, rule = local.api("GET", "/rules/high-cpu-usage")
        rule = {k: v for k, v in rule.items() if k not in ("created_at", "updated_at")} | {"channels": ["ops", "mail"]}
        status, body = local.api("PUT", "/rules/high-cpu-usage", body=rule)
        assert status == 200, body
        now = floor_minute(datetime.now(UTC))
        for minute in (-1, 0):  # the rule needs two breaching ticks
            local.put_metric("CPUUtilization", 97, now + timedelta(minutes=minute, seconds=-80))
            local.tick(now + timedelta(minutes=minute))
        local.pump()
        yield local, url


def test_inbox_lists_the_slack_message_and_the_email_after_an_alert_fires(fired: tuple[LocalStack, str]):
    _, url = fired

    response = requests.get(url + "local/inbox", timeout=10)

    assert response.status_code == 200
    items = response.json()["items"]
    by_channel = {i["channel_id"]: i for i in items}
    slack, mail, topic = by_channel["ops"], by_channel["mail"], by_channel["alerts-topic"]
    assert (slack["channel"], mail["channel"], topic["channel"]) == ("slack", "email", "sns")
    assert slack["text"].startswith("[FIRING][HIGH] High CPU Usage")
    assert slack["body"]["attachments"][0]["blocks"][0]["type"] == "header"
    assert slack["destination"].endswith("/services/***")
    assert (mail["destination"], mail["text"]) == ("oncall@example.com", "[FIRING][HIGH] High CPU Usage")
    assert "CPU at 97.0%" in mail["body"]
    assert len(items) == 3  # the CloudFormation answer the receiver also got is no channel's
    stamps = [i["at"] for i in items]
    assert stamps == sorted(stamps, reverse=True)
    assert TOKEN not in response.text


def test_inbox_filters_by_channel_kind(fired: tuple[LocalStack, str]):
    _, url = fired

    items = requests.get(url + "local/inbox", params={"channel": "email"}, timeout=10).json()["items"]

    assert [i["channel_id"] for i in items] == ["mail"]


def test_inbox_is_the_local_fronts_alone(fired: tuple[LocalStack, str]):
    local, url = fired

    status, _ = local.api("GET", "/local/inbox")  # the API Lambda, as API Gateway would invoke it
    _, spec = local.api("GET", "/openapi.json")
    refused = requests.get(url + "local/inbox", headers={"Origin": "https://evil.example"}, timeout=10)

    assert status == 404
    assert not any(path.startswith("/local") for path in spec["paths"])
    assert refused.status_code == 403 and "inbox" not in json.dumps(refused.json())
