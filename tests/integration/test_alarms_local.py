"""Existing CloudWatch alarms on the local stack, end to end: the AWS CLI's `set-alarm-state`
(the documented way to test an alarm's actions) changes a moto alarm, the local stand-in for
EventBridge sends the event AWS would send, and AlarmIngestFunction opens, then resolves, an
alert that reaches the stack's topic."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from alerting_local.stack import LocalStack
from tests.infrastructure.test_iam import role_actions

AWS_CLI = shutil.which("aws")
pytestmark = pytest.mark.skipif(AWS_CLI is None, reason="the AWS CLI (aws) is not installed")


@pytest.fixture
def local() -> Iterator[LocalStack]:
    with LocalStack(overrides={"LogLevel": "ERROR"}) as stack:
        yield stack


def cloudwatch(local: LocalStack, *args: str) -> str:
    """`aws cloudwatch ...` against the local stack's moto, with its credentials."""
    assert AWS_CLI is not None
    command = [AWS_CLI, "cloudwatch", *args, "--endpoint-url", local.server.endpoint, "--region", "us-east-1"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def put_alarm(local: LocalStack, name: str, *tags: str) -> None:
    cloudwatch(
        local,
        "put-metric-alarm",
        *("--alarm-name", name, "--alarm-description", "5xx of the orders service"),
        *("--namespace", "App/Orders", "--metric-name", "5xxRate", "--dimensions", "Name=Service,Value=orders"),
        *("--statistic", "Average", "--period", "60", "--evaluation-periods", "1"),
        *("--threshold", "5", "--comparison-operator", "GreaterThanThreshold"),
        *(("--tags", *tags) if tags else ()),
    )


def set_state(local: LocalStack, name: str, value: str, reason: str) -> None:
    cloudwatch(local, "set-alarm-state", "--alarm-name", name, "--state-value", value, "--state-reason", reason)


def topic_events(local: LocalStack, url: str) -> list[tuple[str, str]]:
    messages = local.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [(json.loads(m["Body"])["event"], json.loads(m["Body"])["alert"]["rule_name"]) for m in messages]


def alerts(local: LocalStack, **query: str) -> list[dict[str, Any]]:
    status, page = local.api("GET", "/alerts", query=query)
    assert status == 200, page
    return list(page["items"])


def test_set_alarm_state_opens_an_alert_and_resolves_it(local: LocalStack):
    # Given an existing alarm, tagged, and a subscriber to the stack's topic
    put_alarm(local, "orders-5xx", "Key=team,Value=payments", "Key=severity,Value=critical")
    queue = local.subscribe_queue("alarms-subscriber")
    local.pump()  # the alarm as it was created: nothing to send
    assert alerts(local) == [] and local.alarm_events.invocations == 0

    # When the CLI puts it into ALARM
    set_state(local, "orders-5xx", "ALARM", "Testing the pager")
    local.pump()

    # Then one alert opens, with the alarm's tags, and the topic hears it
    (alert,) = alerts(local, status="firing")
    assert (alert["source"], alert["rule_name"], alert["severity"]) == ("cloudwatch", "orders-5xx", "critical")
    assert {k: alert["labels"][k] for k in ("team", "alarm_name", "namespace", "metric", "Service")} == {
        "team": "payments",
        "alarm_name": "orders-5xx",
        "namespace": "App/Orders",
        "metric": "5xxRate",
        "Service": "orders",
    }
    assert alert["annotations"]["reason"] == "Testing the pager"
    assert alert["annotations"]["threshold"] == "5"  # from DescribeAlarms: the CLI sent no reason data
    assert topic_events(local, queue) == [("firing", "orders-5xx")]

    # When it is set back to OK
    set_state(local, "orders-5xx", "OK", "Back to normal")
    local.pump()

    # Then the alert resolves, and the topic hears that too
    assert alerts(local, status="firing") == []
    (resolved,) = alerts(local, status="resolved")
    assert (resolved["alert_id"], resolved["resolved_by"]) == (alert["alert_id"], "cloudwatch")
    assert topic_events(local, queue) == [("resolved", "orders-5xx")]

    # And the function called only what its role allows
    called = local.calls.actions["AlarmIngestFunction"]
    assert {"cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"} <= called
    assert called <= role_actions("AlarmIngestFunction")


def test_an_alarm_tagged_alerting_ignore_opens_nothing(local: LocalStack):
    put_alarm(local, "batch-lag", "Key=alerting:ignore,Value=true")
    local.pump()

    set_state(local, "batch-lag", "ALARM", "Testing")
    local.pump()

    assert local.alarm_events.invocations == 1  # the event came, and was ignored
    assert alerts(local) == []


def test_a_state_set_before_the_first_look_is_still_sent():
    with LocalStack(overrides={"LogLevel": "ERROR", "IngestAlarms": "orders-"}) as local:
        put_alarm(local, "orders-5xx")
        put_alarm(local, "web-latency")
        set_state(local, "orders-5xx", "ALARM", "Testing")
        set_state(local, "web-latency", "ALARM", "Testing")
        local.pump()

        assert [a["rule_name"] for a in alerts(local, status="firing")] == ["orders-5xx"]  # IngestAlarms


def test_ingest_alarms_none_disables_the_rule():
    with LocalStack(overrides={"LogLevel": "ERROR", "IngestAlarms": "none"}) as local:
        put_alarm(local, "orders-5xx")
        local.pump()
        set_state(local, "orders-5xx", "ALARM", "Testing")
        local.pump()

        assert local.alarm_events.invocations == 0 and alerts(local) == []
