"""AlertLifecycle.receive against the template's tables: every source's signals, one lifecycle."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from alerting.lifecycle import AlertLifecycle
from alerting.lifecycle.signals import Receiver
from alerting.models.alerts import AlertSource
from alerting.models.common import AlertStatus
from alerting.models.signals import Signal, SignalOutcome
from alerting.repositories.alerts import AlertRepository
from alerting.repositories.state import StateRepository
from tests.factories import T0

ALARM = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-5xx"
ONCALL = Receiver(["ops-slack"], "page-oncall")


def signal(firing: bool, minute: int, event_id: str = "") -> Signal:
    return Signal(
        source=AlertSource.cloudwatch,
        origin=f"cloudwatch:{ALARM}",
        name="orders-5xx",
        key="",
        firing=firing,
        at=T0 + timedelta(minutes=minute),
        event_id=event_id or f"e{minute}{firing}",
        labels={"alarm_name": "orders-5xx", "team": "payments"},
    )


@pytest.fixture
def lifecycle(aws) -> AlertLifecycle:
    env = aws.env("EvaluatorFunction")
    dynamodb = aws.client("dynamodb")
    alerts = AlertRepository(dynamodb, env["ALERTS_TABLE"], env["ALERT_LOG_TABLE"])
    return AlertLifecycle(alerts, StateRepository(dynamodb, env["STATE_TABLE"]))


def events(lifecycle: AlertLifecycle, alert_id: str) -> list[tuple[str, str]]:
    return [(t.event.value, t.actor) for t in lifecycle.alerts.history(alert_id)]


def test_firing_opens_once_and_resolved_resolves_with_the_receivers_of_its_route(lifecycle):
    now = T0 + timedelta(minutes=1)
    assert lifecycle.receive(signal(True, 0), ONCALL, now) is SignalOutcome.opened
    assert lifecycle.receive(signal(True, 0), ONCALL, now) is SignalOutcome.duplicate
    assert lifecycle.receive(signal(True, 1), ONCALL, now) is SignalOutcome.refreshed
    (alert,) = lifecycle.alerts.open_alerts()
    assert (alert.source, alert.rule_id, alert.rule_name) == ("cloudwatch", f"cloudwatch:{ALARM}", "orders-5xx")
    assert (alert.channels, alert.escalation_policy_id, alert.escalation_level) == (["ops-slack"], "page-oncall", 1)
    assert alert.labels == {"alarm_name": "orders-5xx", "team": "payments"}

    assert lifecycle.receive(signal(False, 2), ONCALL, now) is SignalOutcome.resolved
    assert lifecycle.receive(signal(False, 3), ONCALL, now) is SignalOutcome.unchanged
    resolved = lifecycle.alerts.get(alert.alert_id)
    assert (resolved.status, resolved.resolution, resolved.resolved_by) == (AlertStatus.resolved, "auto", "cloudwatch")
    assert events(lifecycle, alert.alert_id) == [("firing", "cloudwatch"), ("resolved", "cloudwatch")]


def test_an_older_event_arriving_late_never_reopens_or_resolves(lifecycle):
    now = T0 + timedelta(minutes=10)
    lifecycle.receive(signal(True, 5), ONCALL, now)
    assert lifecycle.receive(signal(False, 4), ONCALL, now) is SignalOutcome.stale  # OK from before the ALARM
    assert [a.status for a in lifecycle.alerts.open_alerts()] == [AlertStatus.firing]
    lifecycle.receive(signal(False, 6), ONCALL, now)
    assert lifecycle.receive(signal(True, 5), ONCALL, now) is SignalOutcome.stale  # the ALARM again, late
    assert lifecycle.alerts.open_alerts() == []


def test_after_a_manual_resolve_the_next_firing_opens_a_new_alert(lifecycle):
    now = T0 + timedelta(minutes=10)
    lifecycle.receive(signal(True, 0), ONCALL, now)
    (first,) = lifecycle.alerts.open_alerts()
    lifecycle.resolve(first.alert_id, "alice", "fixed by hand", now)
    assert lifecycle.receive(signal(False, 1), ONCALL, now) is SignalOutcome.unchanged
    assert lifecycle.receive(signal(True, 2), ONCALL, now) is SignalOutcome.opened
    (second,) = lifecycle.alerts.open_alerts()
    assert second.alert_id != first.alert_id
    assert lifecycle.alerts.get(first.alert_id).resolved_by == "alice"


def test_one_event_delivered_twice_at_once_acts_once(lifecycle):
    now = T0 + timedelta(minutes=1)
    with ThreadPoolExecutor(4) as pool:
        outcomes = sorted(pool.map(lambda _: lifecycle.receive(signal(True, 0), ONCALL, now), range(4)))
    assert outcomes == sorted([SignalOutcome.opened] + [SignalOutcome.duplicate] * 3)
    (alert,) = lifecycle.alerts.open_alerts()
    assert events(lifecycle, alert.alert_id) == [("firing", "cloudwatch")]
