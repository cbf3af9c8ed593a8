"""CloudWatch alarm events (AWS's own examples) → signals, or why they are ignored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from alerting.errors import MalformedRecord
from alerting.models.common import Severity
from alerting.models.integrations import IntegrationSpec
from alerting.models.signals import Signal
from alerting.sources.alarm_events import read_event
from alerting.sources.cloudwatch_alarms import (
    AlarmFacts,
    AlarmSelection,
    IgnoreReason,
    alarm_signal,
    console_url,
    screen,
)
from tests.alarm_events import documented, state_change

ALL = AlarmSelection.parse("all")
CPU_ARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh"
TAGS = {"team": "payments", "severity": "critical"}


def integration(**overrides: Any) -> IntegrationSpec:
    return IntegrationSpec.model_validate({"name": "CloudWatch", "type": "cloudwatch", **overrides})


def signal_of(event: dict[str, Any], facts: AlarmFacts | None = None, **settings: Any) -> Signal | IgnoreReason:
    alarm = read_event(event)
    spec = integration(**settings)
    return screen(alarm, ALL, spec) or alarm_signal(alarm, facts or AlarmFacts(tags=TAGS), spec)


def fired(event: dict[str, Any], facts: AlarmFacts | None = None, **settings: Any) -> Signal:
    signal = signal_of(event, facts, **settings)
    assert isinstance(signal, Signal), signal
    return signal


def test_an_alarm_going_to_alarm_fires_with_its_metric_dimensions_and_tags_as_labels():
    signal = fired(documented(), AlarmFacts(tags=TAGS, threshold=80.0, description="from DescribeAlarms"))

    assert (signal.source, signal.origin, signal.key, signal.name) == (
        "cloudwatch",
        f"cloudwatch:{CPU_ARN}",
        "",
        "ServerCpuTooHigh",
    )
    assert signal.firing is True
    assert signal.at == datetime(2019, 10, 2, 17, 4, 40, tzinfo=UTC)  # the state's time, in whole seconds
    assert signal.event_id == "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92"
    assert signal.severity is Severity.critical
    assert signal.labels == {
        "alarm_name": "ServerCpuTooHigh",
        "namespace": "AWS/EC2",
        "metric": "CPUUtilization",
        "InstanceId": "i-12345678901234567",
        "team": "payments",
        "severity": "critical",
    }
    assert signal.annotations == {
        "summary": "Goes into alarm when server CPU utilization is too high!",  # what channels show first
        "reason": signal.reason,
        "state_value": "ALARM",
        "threshold": "50",  # what this evaluation compared against (reasonData), not today's 80
        "description": "Goes into alarm when server CPU utilization is too high!",
        "muted_by": "arn:aws:cloudwatch:us-east-1:1234567890:alarm-mute-rule:testMute",
    }
    assert signal.reason.startswith("Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434")
    assert signal.source_url == (
        "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/ServerCpuTooHigh"
    )


def test_ok_resolves_the_same_alert():
    alarm, ok = fired(documented()), fired(state_change(value="OK"))

    assert ok.firing is False
    assert ok.fingerprint == alarm.fingerprint


@pytest.mark.parametrize(
    ("policy", "outcome"),
    [("ignore", IgnoreReason.insufficient_data), ("resolve", False), ("alert", True)],
)
def test_insufficient_data_does_what_the_cloudwatch_integration_says(policy: str, outcome: Any):
    result = signal_of(state_change(value="INSUFFICIENT_DATA"), insufficient_data=policy)

    assert (result if isinstance(result, IgnoreReason) else result.firing) == outcome


def test_insufficient_data_is_ignored_by_default_before_the_alarms_tags_are_read():
    alarm = read_event(state_change(value="INSUFFICIENT_DATA"))

    assert screen(alarm, ALL, integration()) is IgnoreReason.insufficient_data


def test_a_composite_alarm_fires_with_its_rule_and_suppression_as_annotations():
    signal = fired(documented("alarm-state-change-composite"), AlarmFacts(tags={"team": "web"}))

    assert signal.origin == "cloudwatch:arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServiceAggregatedAlarm"
    assert (signal.key, signal.firing) == ("", True)
    assert signal.labels == {"alarm_name": "ServiceAggregatedAlarm", "team": "web", "severity": "high"}
    assert signal.annotations["alarm_rule"] == "ALARM(ServerCpuTooHigh) OR ALARM(TotalNetworkTrafficTooHigh)"
    assert signal.annotations["actions_suppressed_by"] == "WaitPeriod"
    assert "threshold" not in signal.annotations


def test_each_contributor_of_a_metrics_insights_alarm_is_its_own_alert():
    event = documented("alarm-contributor-state-change")
    other = documented("alarm-contributor-state-change")
    other["detail"]["alarmContributor"] = {"id": "0a1b2c3d4e5f6a7b", "attributes": {"TableName": "orders"}}

    first, second = fired(event, AlarmFacts(threshold=1.0)), fired(other, AlarmFacts(threshold=1.0))

    assert (
        first.origin
        == second.origin
        == "cloudwatch:arn:aws:cloudwatch:us-east-1:123456789012:alarm:DynamoDBInsightsAlarm"
    )
    assert (first.key, second.key) == ("6d442278dba546f6", "0a1b2c3d4e5f6a7b")
    assert first.fingerprint != second.fingerprint
    assert first.name == "DynamoDBInsightsAlarm (TableName=example-dynamodb-table-name)"
    assert first.labels == {
        "alarm_name": "DynamoDBInsightsAlarm",
        "namespace": "AWS/DynamoDB",
        "metric": "ConsumedWriteCapacityUnits",
        "TableName": "example-dynamodb-table-name",
        "severity": "high",
    }
    assert first.annotations["contributor_id"] == "6d442278dba546f6"
    assert first.annotations["threshold"] == "1"  # from DescribeAlarms: a contributor's event has no reasonData


def test_a_grouped_alarms_own_state_change_is_left_to_its_contributors():
    alarm = read_event(documented("alarm-state-change-metrics-insights"))

    assert screen(alarm, ALL, integration()) is IgnoreReason.contributors_alert


def test_a_metrics_insights_alarm_that_does_not_group_is_one_alert():
    event = documented("alarm-state-change-metrics-insights")
    event["detail"]["configuration"]["metrics"][0]["expression"] = (
        "SELECT MAX(CPUUtilization) FROM SCHEMA(\"AWS/EC2\", InstanceId) WHERE AutoScalingGroupName = 'web'"
    )

    signal = fired(event, AlarmFacts())

    assert (signal.key, signal.labels["namespace"], signal.labels["metric"]) == ("", "AWS/EC2", "CPUUtilization")


def test_a_metric_math_alarm_is_labelled_with_its_expression_and_what_its_metrics_share():
    signal = fired(documented("alarm-state-change-metric-math"), AlarmFacts())

    assert signal.labels == {
        "alarm_name": "TotalNetworkTrafficTooHigh",
        "namespace": "AWS/EC2",
        "metric": "Total Network Traffic",
        "InstanceId": "i-12345678901234567",
        "severity": "high",
    }
    assert signal.annotations["threshold"] == "10000"


@pytest.mark.parametrize("value", ["true", "", "anything"])
def test_an_alarm_tagged_alerting_ignore_is_ignored_whatever_the_value(value: str):
    assert signal_of(documented(), AlarmFacts(tags={"alerting:ignore": value})) is IgnoreReason.ignore_tag


@pytest.mark.parametrize(
    ("tag", "severity"),
    [("critical", "critical"), ("Low", "low"), (" info ", "info"), ("urgent", "medium"), (None, "medium")],
)
def test_severity_comes_from_the_severity_tag_else_the_integration(tag: str | None, severity: str):
    tags = {} if tag is None else {"severity": tag}

    signal = fired(documented(), AlarmFacts(tags=tags), severity="medium")

    assert signal.severity == signal.labels["severity"] == severity


def test_the_integrations_labels_yield_to_the_alarms_own_and_nothing_renames_the_alarm():
    facts = AlarmFacts(tags={"team": "checkout", "alarm_name": "spoofed", "InstanceId": "from-a-tag"})

    signal = fired(documented(), facts, labels={"team": "payments", "env": "prod", "namespace": "mine"})

    assert signal.labels["env"] == "prod"
    assert signal.labels["team"] == "checkout"
    assert signal.labels["InstanceId"] == "from-a-tag"  # tags over dimensions
    assert (signal.labels["alarm_name"], signal.labels["namespace"]) == ("ServerCpuTooHigh", "AWS/EC2")


@pytest.mark.parametrize(
    ("value", "prefixes"),
    [
        ("all", None),
        ("ALL", None),
        ("none", ()),
        ("None", ()),
        ("orders-", ("orders-",)),
        ("orders-, payments- ,", ("orders-", "payments-")),
    ],
)
def test_ingest_alarms_is_all_none_or_name_prefixes(value: str, prefixes: tuple[str, ...] | None):
    assert AlarmSelection.parse(value).prefixes == prefixes


@pytest.mark.parametrize("value", ["", " ", ",", " , "])
def test_ingest_alarms_names_something(value: str):
    with pytest.raises(ValueError, match="IngestAlarms"):
        AlarmSelection.parse(value)


@pytest.mark.parametrize(
    ("selection", "alarm", "ignored"),
    [
        ("all", "anything", False),
        ("none", "orders-5xx", True),
        ("orders-,payments-", "orders-5xx", False),
        ("orders-,payments-", "payments-latency", False),
        ("orders-,payments-", "Orders-5xx", True),  # alarm names are case-sensitive
        ("orders-,payments-", "web-orders-5xx", True),
    ],
)
def test_only_alarms_ingest_alarms_selects_become_alerts(selection: str, alarm: str, ignored: bool):
    event = read_event(state_change(alarm=alarm))

    reason = screen(event, AlarmSelection.parse(selection), integration())

    assert reason is (IgnoreReason.outside_ingest_alarms if ignored else None)


def test_a_disabled_cloudwatch_integration_lets_nothing_in():
    assert screen(read_event(documented()), ALL, integration(enabled=False)) is IgnoreReason.integration_disabled


def test_the_threshold_falls_back_to_the_alarms_when_the_reason_data_has_none():
    event = documented()
    event["detail"]["state"]["reasonData"] = "not json"

    assert fired(event, AlarmFacts(threshold=0.25)).annotations["threshold"] == "0.25"


def _without(path: str) -> dict[str, Any]:
    event = documented()
    *parents, last = path.split(".")
    node = event
    for part in parents:
        node = node[part]
    del node[last]
    return event


def _with(path: str, value: Any, kind: str = "alarm-state-change") -> dict[str, Any]:
    event = documented(kind)
    *parents, last = path.split(".")
    node = event
    for part in parents:
        node = node[part]
    node[last] = value
    return event


@pytest.mark.parametrize(
    ("event", "where"),
    [
        ({}, "id"),
        (_with("source", "aws.ec2"), "source"),
        (_with("detail-type", "CloudWatch Alarm Configuration Change"), "detail-type"),
        (_without("detail.state"), "detail.state"),
        (_with("detail.state.value", "SECRET-ish value"), "detail.state.value"),
        (_with("detail.state.timestamp", "2019-10-02T17:04:40"), "detail.state.timestamp"),  # no zone
        (_with("resources", ["arn:aws:sns:us-east-1:123456789012:topic"]), "resources"),
        (_with("resources", []), "resources"),
        (_with("detail", "text"), "detail"),
        (_with("detail.alarmContributor", None, "alarm-contributor-state-change"), "event"),
    ],
)
def test_an_event_that_is_not_an_alarm_state_change_is_malformed_and_named_by_its_field(
    event: dict[str, Any], where: str
):
    with pytest.raises(MalformedRecord) as raised:
        read_event(event)

    message = str(raised.value)
    assert message.startswith(f"not a CloudWatch alarm state change: {where}")
    assert "SECRET" not in message  # where it failed, never what it held


def test_a_redelivered_event_is_the_same_signal():
    assert fired(documented()) == fired(documented())


@pytest.mark.parametrize(
    ("arn", "name", "url"),
    [
        (
            "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:web 5xx/rate",
            "web 5xx/rate",
            "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/web%205xx%2Frate",
        ),
        (
            "arn:aws-cn:cloudwatch:cn-north-1:123456789012:alarm:a",
            "a",
            "https://cn-north-1.console.amazonaws.cn/cloudwatch/home?region=cn-north-1#alarmsV2:alarm/a",
        ),
        ("arn:aws-iso:cloudwatch:us-iso-east-1:123456789012:alarm:a", "a", None),
    ],
)
def test_the_source_url_is_the_alarm_in_the_console_of_its_region(arn: str, name: str, url: str | None):
    assert console_url(arn, name) == url
