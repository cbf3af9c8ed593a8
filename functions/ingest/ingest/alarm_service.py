"""A CloudWatch alarm's state change → its alert: read the event, decide whether it counts, read
the alarm's tags (cached), and hand the signal to the alert lifecycle with the receiver its
labels route to. One event per call, as EventBridge delivers them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from alerting.lifecycle.signals import Receiver, signal_labels
from alerting.models.integrations import IntegrationSpec, IntegrationType
from alerting.models.signals import Signal, SignalOutcome
from alerting.sources.alarm_events import read_event
from alerting.sources.cloudwatch_alarms import AlarmFacts, AlarmSelection, IgnoreReason, alarm_signal, screen

Route = Callable[[dict[str, str]], Receiver]  # an alert's labels → who hears it
IntegrationSettings = Callable[[], IntegrationSpec | None]  # the cloudwatch integration, if one exists
EVERY_ALARM = AlarmSelection(None)
DEFAULT_INTEGRATION = IntegrationSpec(name="CloudWatch alarms", type=IntegrationType.cloudwatch)


def stack_topic_only(labels: dict[str, str]) -> Receiver:
    """No route: the stack's SNS topic, which hears every alert, is the only one told."""
    return Receiver([], None)


def no_integration() -> IntegrationSpec | None:
    return None


class AlarmFactsSource(Protocol):
    def facts(self, arn: str, name: str, at: datetime) -> AlarmFacts: ...


class SignalReceiver(Protocol):
    def receive(self, signal: Signal, receiver: Receiver, now: datetime) -> SignalOutcome: ...


@dataclass(frozen=True)
class Ingested:
    """What became of one event: the lifecycle's outcome, or why it was ignored."""

    alarm: str
    outcome: SignalOutcome | None = None
    ignored: IgnoreReason | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"alarm": self.alarm, "outcome": self.outcome, "ignored": self.ignored}


@dataclass
class AlarmIngest:
    alarms: AlarmFactsSource
    lifecycle: SignalReceiver
    selection: AlarmSelection = EVERY_ALARM
    integration: IntegrationSettings = no_integration
    route: Route = stack_topic_only

    def process(self, event: Mapping[str, Any], now: datetime) -> Ingested:
        """MalformedRecord for an event that is not an alarm's state change as AWS documents it."""
        alarm = read_event(event)
        integration = self.integration() or DEFAULT_INTEGRATION
        name = alarm.detail.alarm_name
        ignored = screen(alarm, self.selection, integration)
        if ignored is not None:
            return Ingested(name, ignored=ignored)
        facts = self.alarms.facts(alarm.arn, name, alarm.detail.state.timestamp)
        signal = alarm_signal(alarm, facts, integration)
        if isinstance(signal, IgnoreReason):
            return Ingested(name, ignored=signal)
        return Ingested(name, outcome=self.lifecycle.receive(signal, self.route(signal_labels(signal)), now))
