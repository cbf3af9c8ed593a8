"""AlarmDirectory: the exact DescribeAlarms and ListTagsForResource requests, cached per alarm
on the events' clock, ClientError translated."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from alerting.errors import MetricsUnavailable
from alerting.repositories.alarms import AlarmDirectory
from alerting.sources.cloudwatch_alarms import AlarmFacts
from tests.factories import T0

ARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-5xx"
DESCRIBE = {"AlarmNames": ["orders-5xx"], "AlarmTypes": ["MetricAlarm", "CompositeAlarm"]}


@pytest.fixture
def stubbed() -> Iterator[tuple[AlarmDirectory, Stubber]]:
    client = boto3.client("cloudwatch", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield AlarmDirectory(client), stubber
        stubber.assert_no_pending_responses()


def metric_alarm(**overrides: Any) -> dict[str, Any]:
    return {"AlarmName": "orders-5xx", "AlarmArn": ARN, "Threshold": 5.0, "AlarmDescription": "5xx", **overrides}


def expect_read(stubber: Stubber, described: dict[str, Any], tags: list[dict[str, str]] | None = None) -> None:
    stubber.add_response("describe_alarms", described, DESCRIBE)
    if tags is not None:
        stubber.add_response("list_tags_for_resource", {"Tags": tags}, {"ResourceARN": ARN})


def test_an_alarm_is_read_once_and_kept_for_five_minutes_of_event_time(stubbed):
    directory, stubber = stubbed
    expect_read(stubber, {"MetricAlarms": [metric_alarm()]}, [{"Key": "team", "Value": "payments"}])
    expected = AlarmFacts(tags={"team": "payments"}, threshold=5.0, description="5xx")

    assert directory.facts(ARN, "orders-5xx", T0) == expected
    assert directory.facts(ARN, "orders-5xx", T0 + timedelta(minutes=4, seconds=59)) == expected
    assert directory.facts(ARN, "orders-5xx", T0 - timedelta(hours=1)) == expected  # an older event: the newer read
    assert directory.calls == 2

    expect_read(stubber, {"MetricAlarms": [metric_alarm(Threshold=7.0)]}, [])
    assert directory.facts(ARN, "orders-5xx", T0 + timedelta(minutes=5)) == AlarmFacts(threshold=7.0, description="5xx")
    assert directory.calls == 4


def test_a_composite_alarm_has_tags_and_a_description_but_no_threshold(stubbed):
    directory, stubber = stubbed
    composite = {"AlarmName": "orders-5xx", "AlarmArn": ARN, "AlarmRule": "ALARM(a)", "AlarmDescription": "svc"}
    expect_read(stubber, {"MetricAlarms": [], "CompositeAlarms": [composite]}, [{"Key": "severity", "Value": "low"}])

    assert directory.facts(ARN, "orders-5xx", T0) == AlarmFacts(tags={"severity": "low"}, description="svc")


def test_an_alarm_deleted_since_its_event_has_nothing_more_to_say(stubbed):
    directory, stubber = stubbed
    expect_read(stubber, {"MetricAlarms": [], "CompositeAlarms": []})  # no ListTagsForResource

    assert directory.facts(ARN, "orders-5xx", T0) == AlarmFacts()


def test_tags_of_an_alarm_deleted_between_the_two_reads_are_none(stubbed):
    directory, stubber = stubbed
    stubber.add_response("describe_alarms", {"MetricAlarms": [metric_alarm()]}, DESCRIBE)
    stubber.add_client_error("list_tags_for_resource", "ResourceNotFound", http_status_code=404)

    assert directory.facts(ARN, "orders-5xx", T0) == AlarmFacts()


@pytest.mark.parametrize("operation", ["describe_alarms", "list_tags_for_resource"])
def test_cloudwatch_refusing_becomes_metrics_unavailable_and_nothing_is_kept(stubbed, operation: str):
    directory, stubber = stubbed
    if operation == "list_tags_for_resource":
        stubber.add_response("describe_alarms", {"MetricAlarms": [metric_alarm()]}, DESCRIBE)
    stubber.add_client_error(operation, "Throttling", "Rate exceeded", http_status_code=400)

    with pytest.raises(MetricsUnavailable, match=r"orders-5xx.*Throttling"):
        directory.facts(ARN, "orders-5xx", T0)

    expect_read(stubber, {"MetricAlarms": [metric_alarm()]}, [])  # the retry reads again
    assert directory.facts(ARN, "orders-5xx", T0).threshold == 5.0
