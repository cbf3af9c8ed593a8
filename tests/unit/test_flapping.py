"""Flapping on a synthetic series: the max_starts-th start within the window is announced as
`flapping`, later cycles are quiet, and the series settles after a quiet window with one
announcement of where it is."""

from __future__ import annotations

from datetime import timedelta

from alerting.evaluation import Decision
from alerting.lifecycle import recover, settle, start_alert
from alerting.models.alerts import Alert
from alerting.models.common import AlertEvent, AlertStatus
from tests.factories import T0, make_rule, play

B, OK = 95.0, 50.0
FLAPPY = {"flapping": {"max_starts": 3, "within_seconds": 600}}


def marks(decisions: list[Decision]) -> str:
    """f fired (announced), q fired quietly, L flapping announced, r resolved, s/S settled
    firing/resolved, - nothing."""
    out = []
    for d in decisions:
        mark = ""
        for change in d.fire:
            mark += "L" if change.event is AlertEvent.flapping else ("q" if change.quiet else "f")
        mark += "r" * len(d.resolve)
        if d.settle is not None:
            mark += "s" if d.settle.event is AlertEvent.firing else "S"
        out.append(mark or "-")
    return "".join(out)


def test_the_third_start_within_ten_minutes_is_flapping_then_quiet_until_it_settles_resolved():
    rule = make_rule(**FLAPPY)
    series = [B, OK, B, OK, B, OK, B, OK] + [OK] * 12
    assert marks(play(rule, series)) == "frfrLrqr" + "-" * 9 + "S" + "--"


def test_it_settles_firing_when_it_stays_breaching():
    rule = make_rule(**FLAPPY)
    series = [B, OK, B, OK, B] + [B] * 12
    timeline = marks(play(rule, series))
    assert timeline == "frfrL" + "-" * 9 + "s" + "--"  # ten minutes after the last change


def test_starts_spread_wider_than_the_window_never_flap():
    rule = make_rule(**FLAPPY)
    series = ([B] + [OK] * 5) * 4  # a start every six minutes: two within any ten
    assert "L" not in marks(play(rule, series)) and marks(play(rule, series)).count("f") == 4


def test_without_a_flapping_policy_every_start_is_announced():
    assert marks(play(make_rule(), [B, OK] * 5)) == "fr" * 5


def test_a_rule_that_stops_watching_for_flapping_settles_at_once():
    rule = make_rule(**FLAPPY)
    decisions = play(rule, [B, OK, B, OK, B])
    after = play(make_rule(), [B], state=decisions[-1].state, start=T0 + timedelta(minutes=5))
    assert after[0].settle is not None and after[0].settle.event is AlertEvent.firing
    assert after[0].state.flapping is False


def alert_of(decision: Decision, rule) -> Alert:
    (change,) = decision.fire
    return start_alert(rule, decision.state, change, [], T0)


def test_alerts_of_a_flapping_series_carry_it_and_the_settle_clears_it():
    rule = make_rule(**FLAPPY)
    decisions = play(rule, [B, OK, B, OK, B, OK, B])
    announced = alert_of(decisions[4], rule)
    assert (announced.last_transition.event, announced.flapping) == (AlertEvent.flapping, True)
    quiet = alert_of(decisions[6], rule)
    assert (quiet.last_transition.event, quiet.flapping) == (AlertEvent.firing, True)
    resolved, _ = recover(quiet, rule, [], T0 + timedelta(minutes=8), reason="recovered")
    assert resolved.flapping is True  # its resolve is quiet too

    later = play(rule, [B] * 10, state=decisions[-1].state, start=T0 + timedelta(minutes=7))
    change = later[-1].settle
    assert change is not None and change.alert_id == quiet.alert_id
    settled, transition = settle(quiet, change, T0 + timedelta(minutes=16))
    assert (transition.event, settled.flapping, settled.status) == (AlertEvent.firing, False, AlertStatus.firing)
