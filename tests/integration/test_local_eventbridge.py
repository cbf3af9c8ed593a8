"""The local stand-in for EventBridge: moto's alarms → the event AWS documents → the functions
whose rule matches, with Lambda's asynchronous retries and on-failure queue."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alerting.sources.alarm_events import read_event
from alerting_local.eventbridge import AlarmEvents, metric_alarm
from tests.alarm_events import documented
from tests.integration.conftest import Aws


def put_alarm(aws: Aws, name: str) -> None:
    cpu = ("AWS/EC2", "CPUUtilization", {"InstanceId": "i-12345678901234567"})
    aws.client("cloudwatch").put_metric_alarm(**metric_alarm(name, "CPU of the fleet", cpu, 50.0, period=300))


def bus(aws: Aws, handler: Any) -> AlarmEvents:
    return AlarmEvents(aws.stack, aws.client("cloudwatch"), aws.client("sqs"), lambda function: handler)


def test_a_state_change_is_sent_once_shaped_as_aws_documents_it(aws: Aws):
    received: list[dict[str, Any]] = []
    events = bus(aws, lambda event, context: received.append(event))
    put_alarm(aws, "ServerCpuTooHigh")
    assert events.poll() == []  # as created: nothing changed

    aws.client("cloudwatch").set_alarm_state(AlarmName="ServerCpuTooHigh", StateValue="ALARM", StateReason="test")
    events.poll()
    assert events.poll() == []  # seen already

    (event,) = received
    aws_example = documented()
    assert set(event) == set(aws_example)
    assert set(event["detail"]) == set(aws_example["detail"]) - {"muteDetail"}  # no alarm mute rules in moto
    assert event["detail"]["configuration"] == aws_example["detail"]["configuration"] | {
        "description": "CPU of the fleet",
        "metrics": [aws_example["detail"]["configuration"]["metrics"][0] | {"id": "m1"}],
    }
    assert event["detail"]["previousState"]["value"] == "OK"
    alarm = read_event(event)
    assert (alarm.arn, alarm.detail.state.value, alarm.detail.state.reason) == (
        "arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh",
        "ALARM",
        "test",
    )


def test_a_failing_event_runs_three_times_then_waits_in_the_on_failure_queue(aws: Aws):
    runs: list[str] = []

    def failing(event: dict[str, Any], context: Any) -> None:
        runs.append(event["id"])
        raise RuntimeError("DynamoDB is down")

    events = bus(aws, failing)
    put_alarm(aws, "orders-5xx")
    events.poll()
    aws.client("cloudwatch").set_alarm_state(AlarmName="orders-5xx", StateValue="ALARM", StateReason="test")

    assert events.poll() == [{"failed": "RuntimeError"}]

    assert len(runs) == 3 and len(set(runs)) == 1  # the same event, as Lambda retries it
    sqs = aws.client("sqs")
    (message,) = sqs.receive_message(QueueUrl=aws.stack.refs["AlarmIngestDeadLetterQueue"])["Messages"]
    record = json.loads(message["Body"])
    assert record["requestPayload"]["id"] == runs[0]
    assert record["responsePayload"] == {"errorType": "RuntimeError", "errorMessage": "DynamoDB is down"}


@pytest.mark.parametrize("first_look", ["ALARM", "OK"])
def test_an_alarm_first_seen_sends_its_state_only_if_it_changed_since_creation(aws: Aws, first_look: str):
    received: list[dict[str, Any]] = []
    events = bus(aws, lambda event, context: received.append(event))
    put_alarm(aws, "orders-5xx")
    if first_look == "ALARM":
        aws.client("cloudwatch").set_alarm_state(AlarmName="orders-5xx", StateValue="ALARM", StateReason="early")

    events.poll()

    assert [e["detail"]["previousState"]["value"] for e in received] == (
        ["INSUFFICIENT_DATA"] if first_look == "ALARM" else []
    )
