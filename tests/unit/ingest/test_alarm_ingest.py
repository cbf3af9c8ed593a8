"""AlarmIngest and its handler with fakes: which events reach the lifecycle, with which receiver
and integration; what is ignored or failed is counted and logged."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from alerting.errors import MalformedRecord
from alerting.lifecycle.signals import Receiver, signal_labels
from alerting.models.integrations import IntegrationSpec
from alerting.models.signals import Signal, SignalOutcome
from alerting.sources.cloudwatch_alarms import AlarmFacts, AlarmSelection, IgnoreReason
from alerting_local.lambda_runtime import LambdaContext
from ingest import alarms
from ingest.alarm_service import AlarmIngest, Ingested
from tests.alarm_events import documented, state_change
from tests.factories import T0

CPU_ARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh"
ONCALL = Receiver(["ops-slack"], "payments")


@dataclass
class FakeAlarms:
    tags: dict[str, dict[str, str]] = field(default_factory=dict)  # by alarm ARN
    asked: list[tuple[str, str, datetime]] = field(default_factory=list)

    def facts(self, arn: str, name: str, at: datetime) -> AlarmFacts:
        self.asked.append((arn, name, at))
        return AlarmFacts(tags=self.tags.get(arn, {}))


@dataclass
class FakeLifecycle:
    received: list[tuple[Signal, Receiver, datetime]] = field(default_factory=list)

    def receive(self, signal: Signal, receiver: Receiver, now: datetime) -> SignalOutcome:
        self.received.append((signal, receiver, now))
        return SignalOutcome.opened


def ingest(**overrides: Any) -> AlarmIngest:
    return AlarmIngest(alarms=overrides.pop("alarms", FakeAlarms()), lifecycle=FakeLifecycle(), **overrides)


def test_an_alarm_reaches_the_lifecycle_with_the_receiver_its_labels_route_to():
    routed: list[dict[str, str]] = []

    def route(labels: dict[str, str]) -> Receiver:
        routed.append(labels)
        return ONCALL if labels.get("team") == "payments" else Receiver([])

    service = ingest(alarms=FakeAlarms({CPU_ARN: {"team": "payments"}}), route=route)

    assert service.process(documented(), T0) == Ingested("ServerCpuTooHigh", outcome=SignalOutcome.opened)
    ((signal, receiver, now),) = service.lifecycle.received  # type: ignore[attr-defined]
    # routes match what silences match: the alarm's labels and the alert's identity (source=cloudwatch)
    assert (receiver, now, signal_labels(signal)) == (ONCALL, T0, routed[0])
    assert routed[0] == {**signal.labels, **routed[0]} and routed[0]["source"] == "cloudwatch"
    assert service.alarms.asked[0][:2] == (CPU_ARN, "ServerCpuTooHigh")  # type: ignore[attr-defined]


def test_without_routes_only_the_stacks_topic_hears_it():
    service = ingest()
    service.process(documented(), T0)

    ((_, receiver, _),) = service.lifecycle.received  # type: ignore[attr-defined]
    assert receiver == Receiver([], None)


def test_an_alarm_outside_ingest_alarms_is_ignored_without_reading_its_tags():
    service = ingest(selection=AlarmSelection.parse("orders-,payments-"))

    assert service.process(documented(), T0).ignored is IgnoreReason.outside_ingest_alarms
    assert service.alarms.asked == [] and service.lifecycle.received == []  # type: ignore[attr-defined]


def test_an_alarm_tagged_alerting_ignore_is_ignored_after_its_tags_are_read():
    service = ingest(alarms=FakeAlarms({CPU_ARN: {"alerting:ignore": "yes"}}))

    assert service.process(documented(), T0).ignored is IgnoreReason.ignore_tag
    assert service.lifecycle.received == []  # type: ignore[attr-defined]


def test_the_cloudwatch_integration_adds_its_labels_and_decides_insufficient_data():
    spec = IntegrationSpec(
        name="CloudWatch", type="cloudwatch", labels={"env": "prod"}, severity="low", insufficient_data="alert"
    )
    service = ingest(integration=lambda: spec)

    service.process(state_change(value="INSUFFICIENT_DATA"), T0)

    ((signal, _, _),) = service.lifecycle.received  # type: ignore[attr-defined]
    assert (signal.firing, signal.severity, signal.labels["env"]) == (True, "low", "prod")


def test_without_a_cloudwatch_integration_insufficient_data_is_ignored():
    assert ingest().process(state_change(value="INSUFFICIENT_DATA"), T0).ignored is IgnoreReason.insufficient_data


def emitted(printed: str) -> dict[str, float]:
    """The metrics Powertools printed (EMF), by name."""
    found: dict[str, float] = {}
    for line in printed.splitlines():
        if line.startswith('{"_aws"'):
            record = json.loads(line)
            for spec in record["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
                value = record[spec["Name"]]
                found[spec["Name"]] = sum(value) if isinstance(value, list) else value
    return found


def test_the_handler_counts_an_ignored_event_and_answers_what_became_of_it(capsys: pytest.CaptureFixture[str]):
    service = ingest(selection=AlarmSelection.parse("none"))

    answer = alarms.handler(documented(), LambdaContext("ingest"), ingest=service)

    assert answer == {"alarm": "ServerCpuTooHigh", "outcome": None, "ignored": "outside_ingest_alarms"}
    assert emitted(capsys.readouterr().out) == {"AlarmEventsIgnored": 1.0}


def test_the_handler_fails_a_malformed_event_counted_and_logged_without_its_content(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
):
    event = documented()
    event["detail"]["state"]["value"] = "PAGE-EVERYONE"

    with pytest.raises(MalformedRecord):
        alarms.handler(event, LambdaContext("ingest"), ingest=ingest())

    assert emitted(capsys.readouterr().out) == {"AlarmEventsFailed": 1.0}
    (logged,) = [r for r in caplog.records if r.getMessage() == "malformed alarm event"]
    assert (logged.levelname, logged.event_id) == ("ERROR", "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92")  # type: ignore[attr-defined]
    assert "detail.state.value" in logged.reason  # type: ignore[attr-defined]
    assert "PAGE-EVERYONE" not in str(logged.__dict__)
