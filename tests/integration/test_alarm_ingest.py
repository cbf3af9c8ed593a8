"""AlarmIngestFunction's real handler against the template's tables on moto, a real alarm with
tags in moto's CloudWatch, and events shaped as AWS documents them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from alerting.errors import MalformedRecord
from alerting.models.common import AlertStatus
from alerting.repositories.alerts import AlertRepository
from alerting_local.eventbridge import metric_alarm
from alerting_local.lambda_runtime import LambdaContext
from ingest import alarms
from tests.alarm_events import state_change
from tests.factories import T0
from tests.integration.conftest import Aws

ALARM = "orders-cpu"
ARN = f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{ALARM}"


@pytest.fixture
def ingest(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The handler as EventBridge invokes it, with the function's environment from the template."""
    for name, value in aws.env("AlarmIngestFunction").items():
        monkeypatch.setenv(name, value)
    alarms.build.cache_clear()  # its clients belong to the previous test's moto
    yield lambda event: alarms.handler(event, LambdaContext("AlarmIngestFunction"))
    alarms.build.cache_clear()


@pytest.fixture
def repository(aws: Aws) -> AlertRepository:
    env = aws.env("AlarmIngestFunction")
    return AlertRepository(aws.client("dynamodb"), env["ALERTS_TABLE"], env["ALERT_LOG_TABLE"])


def put_alarm(aws: Aws, name: str = ALARM, tags: dict[str, str] | None = None) -> None:
    cpu = ("AWS/EC2", "CPUUtilization", {"InstanceId": "i-12345678901234567"})
    alarm = metric_alarm(name, "CPU of the orders fleet", cpu, 50.0, tags=tags, period=300)
    aws.client("cloudwatch").put_metric_alarm(**alarm)


def event(value: str, minute: int, **overrides: Any) -> dict[str, Any]:
    """The documented single-metric event, for our alarm, at T0 + minute (ids differ per state and time)."""
    return state_change(
        value=value,
        at=T0 + timedelta(minutes=minute, milliseconds=437),
        event_id=overrides.pop("event_id", f"{value}-{minute}"),
        alarm=overrides.pop("alarm", ALARM),
        **overrides,
    )


def events_of(repository: AlertRepository, alert_id: str) -> list[tuple[str, str]]:
    return [(t.event.value, t.actor) for t in repository.history(alert_id)]


def test_an_alarm_opens_an_alert_with_its_tags_and_its_ok_resolves_it(aws: Aws, ingest, repository):
    put_alarm(aws, tags={"team": "payments", "severity": "critical"})

    assert ingest(event("ALARM", 0)) == {"alarm": ALARM, "outcome": "opened", "ignored": None}

    (alert,) = repository.open_alerts()
    assert (alert.source, alert.rule_id, alert.rule_name, alert.severity) == (
        "cloudwatch",
        f"cloudwatch:{ARN}",
        ALARM,
        "critical",
    )
    assert alert.labels == {
        "alarm_name": ALARM,
        "namespace": "AWS/EC2",
        "metric": "CPUUtilization",
        "InstanceId": "i-12345678901234567",
        "team": "payments",
        "severity": "critical",
    }
    assert (alert.annotations["state_value"], alert.annotations["threshold"]) == ("ALARM", "50")
    assert (
        alert.source_url
        == f"https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/{ALARM}"
    )

    assert ingest(event("OK", 5))["outcome"] == "resolved"
    resolved = repository.get(alert.alert_id)
    assert (resolved.status, resolved.resolution, resolved.resolved_by) == (AlertStatus.resolved, "auto", "cloudwatch")
    assert events_of(repository, alert.alert_id) == [("firing", "cloudwatch"), ("resolved", "cloudwatch")]


def test_an_event_delivered_twice_acts_once(aws: Aws, ingest, repository):
    put_alarm(aws)
    ingest(event("ALARM", 0))

    assert ingest(event("ALARM", 0))["outcome"] == "duplicate"
    (alert,) = repository.open_alerts()
    assert ingest(event("OK", 3))["outcome"] == "resolved"
    assert ingest(event("OK", 3))["outcome"] == "duplicate"
    assert ingest(event("ALARM", 0))["outcome"] == "stale"  # the first event, redelivered after the OK
    assert events_of(repository, alert.alert_id) == [("firing", "cloudwatch"), ("resolved", "cloudwatch")]


def test_an_older_event_arriving_late_never_reopens_or_resolves(aws: Aws, ingest, repository):
    put_alarm(aws)

    assert ingest(event("OK", 5))["outcome"] == "unchanged"
    assert ingest(event("ALARM", 1))["outcome"] == "stale"  # the ALARM before that OK, late
    assert repository.open_alerts() == []

    assert ingest(event("ALARM", 10))["outcome"] == "opened"
    assert ingest(event("OK", 7))["outcome"] == "stale"
    assert [a.status for a in repository.open_alerts()] == [AlertStatus.firing]


def test_an_alarm_tagged_alerting_ignore_opens_nothing(aws: Aws, ingest, repository):
    put_alarm(aws, tags={"alerting:ignore": "true"})

    assert ingest(event("ALARM", 0)) == {"alarm": ALARM, "outcome": None, "ignored": "ignore_tag"}
    assert repository.open_alerts() == []


def test_only_the_alarms_ingest_alarms_names_open_alerts(aws: Aws, ingest, repository, monkeypatch):
    monkeypatch.setenv("INGEST_ALARMS", "payments-, checkout-")
    put_alarm(aws)
    put_alarm(aws, "payments-latency")

    assert ingest(event("ALARM", 0))["ignored"] == "outside_ingest_alarms"
    assert ingest(event("ALARM", 0, alarm="payments-latency"))["outcome"] == "opened"
    assert [a.rule_name for a in repository.open_alerts()] == ["payments-latency"]


def test_each_contributor_of_a_grouped_alarm_opens_its_own_alert(aws: Aws, ingest, repository):
    contributor = state_change("alarm-contributor-state-change")
    other = state_change("alarm-contributor-state-change", event_id="other-contributor")
    other["detail"]["alarmContributor"] = {"id": "0a1b2c3d4e5f6a7b", "attributes": {"TableName": "orders"}}

    assert ingest(state_change("alarm-state-change-metrics-insights"))["ignored"] == "contributors_alert"
    assert [ingest(e)["outcome"] for e in (contributor, other, contributor)] == ["opened", "opened", "duplicate"]
    assert sorted(a.labels["TableName"] for a in repository.open_alerts()) == ["example-dynamodb-table-name", "orders"]


def test_a_malformed_event_fails_and_writes_nothing(aws: Aws, ingest, repository):
    broken = event("ALARM", 0)
    del broken["detail"]["state"]

    with pytest.raises(MalformedRecord, match=r"detail\.state"):
        ingest(broken)
    assert repository.open_alerts() == []


def test_the_cloudwatch_integration_labels_alarms_and_says_what_insufficient_data_does(
    aws: Aws, ingest, repository, api
):
    put_alarm(aws)  # no severity tag: the integration's
    integration = {"name": "Alarms", "type": "cloudwatch", "labels": {"team": "platform"}, "severity": "low"}
    disabled = {**integration, "integration_id": "a-retired", "enabled": False, "severity": "critical"}
    assert api.post("/integrations", disabled).status == 201  # listed first, but disabled
    assert api.post("/integrations", {**integration, "insufficient_data": "alert"}).status == 201

    assert ingest(event("INSUFFICIENT_DATA", 0))["outcome"] == "opened"

    (alert,) = repository.open_alerts()
    assert (alert.labels["team"], alert.severity) == ("platform", "low")


def test_alarms_are_ignored_while_the_only_cloudwatch_integration_is_disabled(aws: Aws, ingest, repository, api):
    put_alarm(aws)
    assert api.post("/integrations", {"name": "Alarms", "type": "cloudwatch", "enabled": False}).status == 201

    assert ingest(event("ALARM", 0))["ignored"] == "integration_disabled"
    assert repository.open_alerts() == []
