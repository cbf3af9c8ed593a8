"""Time-driven transitions as a pure function of (alert, policy, repeat interval, now): escalation
level by level and its repeat, acknowledgement expiry, reminders; duplicated and late sweeps."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerting.errors import Conflict
from alerting.lifecycle import acknowledge, due_transition, resolve, unacknowledge
from alerting.models.alerts import Alert, Resolution
from alerting.models.common import AlertEvent, AlertStatus
from alerting.models.policies import EscalationPolicySpec
from tests.factories import T0
from tests.unit.channels.builders import alert_rule, make_alert

POLICY = EscalationPolicySpec.model_validate(
    {
        "name": "Payments on-call",
        "levels": [
            {"targets": [{"channel": "ops-slack"}], "escalate_after_seconds": 900},
            {"targets": [{"channel": "secondary-sms"}], "escalate_after_seconds": 900},
            {"targets": [{"channel": "manager-email"}], "escalate_after_seconds": 1800},
        ],
        "repeat": 1,
    }
)


def firing(**rule: object) -> Alert:
    return make_alert(alert_rule(escalation_policy_id="payments", **rule))


def sweep(alert: Alert, minutes: float, repeat: int | None = None) -> Alert | None:
    """The sweep at T0 + minutes: the alert after its due transition, or None."""
    due = due_transition(alert, POLICY, repeat, T0 + timedelta(minutes=minutes))
    return None if due is None else due[0]


def run(alert: Alert, minutes: list[float], repeat: int | None = None) -> list[tuple[str, int, int]]:
    """Sweep at each minute, carrying the alert on: (event, level, cycle) of each transition."""
    seen = []
    for minute in minutes:
        after = sweep(alert, minute, repeat)
        if after is not None:
            alert = after
            seen.append((after.last_transition.event.value, after.escalation_level, after.escalation_cycle))
    return seen


def test_a_firing_alert_of_a_policy_starts_at_level_1():
    alert = firing()
    assert (alert.escalation_level, alert.escalated_at) == (1, T0)


def test_escalation_goes_level_by_level_then_repeats_the_policy_then_stops():
    # every minute for three hours
    assert run(firing(), list(range(1, 181))) == [
        ("escalated", 2, 0),  # 15 min after level 1
        ("escalated", 3, 0),  # 15 min after level 2
        ("escalated", 1, 1),  # 30 min after level 3: the policy starts again (repeat: 1)
        ("escalated", 2, 1),
        ("escalated", 3, 1),
    ]


@pytest.mark.parametrize(("minute", "due"), [(14.9, False), (15, True), (15.1, True)])
def test_escalation_is_due_exactly_after_its_wait(minute: float, due: bool):
    assert (sweep(firing(), minute) is not None) is due


def test_duplicated_and_late_sweeps_escalate_once_each():
    # Given the first escalation already applied at minute 15
    once = sweep(firing(), 15)
    assert once is not None
    # Then the same sweep again (a duplicated trigger) and a retried one a minute later find nothing
    assert sweep(once, 15) is None and sweep(once, 16) is None
    # And a sweep two hours late moves one level, not three
    late = sweep(firing(), 120)
    assert late is not None and late.escalation_level == 2


def test_acknowledge_and_resolve_stop_escalation_and_repeats():
    acked = acknowledge(firing(), "alice", T0 + timedelta(minutes=5))[0]
    ended = resolve(firing(), "bob", T0 + timedelta(minutes=5), reason="fixed", resolution=Resolution.manual)[0]
    for alert in (acked, ended):
        assert run(alert, list(range(6, 181)), repeat=600) == []


def test_an_expiring_acknowledgement_lapses_and_escalation_restarts_at_level_1():
    # Given an alert escalated to level 2, then acknowledged for 10 minutes
    escalated = sweep(firing(), 15)
    assert escalated is not None
    acked = acknowledge(escalated, "alice", T0 + timedelta(minutes=20), expires_in_seconds=600)[0]

    # When the sweep runs before and after the expiry
    assert sweep(acked, 29) is None
    lapsed = sweep(acked, 30)

    # Then it is firing again, from level 1, by the system
    assert lapsed is not None
    assert (lapsed.status, lapsed.last_transition.event, lapsed.last_transition.actor) == (
        AlertStatus.firing,
        AlertEvent.unacknowledged,
        "system",
    )
    assert (lapsed.escalation_level, lapsed.escalation_cycle, lapsed.ack_expires_at) == (1, 0, None)
    assert run(lapsed, [44, 45]) == [("escalated", 2, 0)]  # 15 min after the restart


def test_unacknowledge_by_hand_rearms_and_refuses_a_firing_alert():
    acked = acknowledge(firing(), "alice", T0 + timedelta(minutes=1))[0]
    back = unacknowledge(acked, "bob", T0 + timedelta(minutes=2))[0]
    assert (back.status, back.escalation_level, back.escalated_at) == (
        AlertStatus.firing,
        1,
        T0 + timedelta(minutes=2),
    )
    with pytest.raises(Conflict):
        unacknowledge(back, "bob", T0 + timedelta(minutes=3))


def test_reminders_repeat_while_firing_and_unacknowledged():
    alert = make_alert(alert_rule())  # no policy: only reminders
    events = run(alert, list(range(1, 31)), repeat=600)
    assert events == [("repeat", 0, 0), ("repeat", 0, 0), ("repeat", 0, 0)]  # minutes 10, 20, 30
    reminded = sweep(alert, 10, repeat=600)
    assert reminded is not None and reminded.repeat_count == 1
