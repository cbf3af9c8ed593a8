"""The dry-run report: the evaluator's pure decision, described for a person."""

from __future__ import annotations

from datetime import timedelta

from alerting.evaluation import Observation, evaluate_series
from alerting.models.common import epoch
from api.services.dry_run import report
from tests.factories import T0, condition, make_rule, play

B, OK = 95.0, 50.0


def test_first_breach_of_two_is_pending_one_of_two():
    result = report(make_rule(breaches_to_fire=2), [Observation(B)], None, T0)
    assert (result.outcome, result.action, result.pending, result.series_status) == (
        "breach",
        "nothing",
        "1 of 2",
        "pending",
    )
    assert result.conditions[0].breaching is True and result.conditions[0].value == B
    assert result.reason == "1 of the last 2 evaluations breached; 2 needed to fire"


def test_breach_that_completes_m_of_n_would_fire():
    rule = make_rule(breaches_to_fire=2, out_of=3)
    (first,) = play(rule, [B])
    result = report(rule, [Observation(B)], first.state, T0 + timedelta(minutes=1))
    assert (result.action, result.breaches, result.out_of) == ("fire", 2, 3)


def test_recovery_of_an_open_alert_would_resolve_and_hysteresis_is_shown():
    rule = make_rule(conditions=[condition("gte", 85, resolve_threshold=80)])
    (fired,) = play(rule, [B])
    held = report(rule, [Observation(82.0)], fired.state, T0 + timedelta(minutes=1))
    assert (held.action, held.conditions[0].breaching) == ("nothing", True)  # 82 is not past 80
    assert held.reason == "the alert stays open (recovered 0 of 1)"
    recovered = report(rule, [Observation(79.0)], fired.state, T0 + timedelta(minutes=1))
    assert recovered.action == "resolve"


def test_due_alert_inside_the_cooldown_is_suppressed():
    rule = make_rule(cooldown_seconds=600)
    _, resolved = play(rule, [B, OK])
    result = report(rule, [Observation(B)], resolved.state, T0 + timedelta(minutes=2))
    assert (result.action, result.reason) == ("suppressed", "an alert is due but held back (cooldown)")


def test_the_current_minute_counts_even_if_the_evaluator_already_counted_it():
    rule = make_rule(breaches_to_fire=3)
    state = evaluate_series(rule, [Observation(B)], None, T0).state
    assert state.last_tick == epoch(T0)
    assert report(rule, [Observation(B)], state, T0).pending == "2 of 3"


def test_missing_data_and_failed_queries_are_not_counted():
    missing = report(make_rule(), [Observation(None)], None, T0)
    assert (missing.outcome, missing.conditions[0].breaching) == ("unknown", None)
    failed = report(make_rule(), [Observation(None, error="Forbidden: no")], None, T0)
    assert (failed.outcome, failed.conditions[0].error, failed.action) == (
        "error",
        "Forbidden: no",
        "nothing",
    )


def test_window_and_due_follow_the_rule():
    rule = make_rule(window_seconds=600, evaluation_delay_seconds=120, evaluation_interval_seconds=300)
    result = report(rule, [Observation(OK)], None, T0 + timedelta(minutes=1, seconds=30))
    assert result.window_end == T0 - timedelta(seconds=60)
    assert result.window_start == T0 - timedelta(seconds=660)
    assert result.due is False
