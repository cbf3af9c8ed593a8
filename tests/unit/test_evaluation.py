"""The rule semantics of docs/rule-semantics.md, row by row, on the pure decision function."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerting.breaching import compare
from alerting.evaluation import Observation, Outcome, evaluate_series, is_due
from alerting.lifecycle import forget_alert
from alerting.models.alerts import Alert, AlertKind, SeriesStatus
from alerting.models.common import epoch
from alerting.models.conditions import Condition
from tests.factories import T0, condition, events, make_rule, play

B, OK = 95.0, 50.0  # a breaching and a healthy CPU value for the default `gte 85` condition


@pytest.mark.parametrize(
    ("operator", "threshold", "value", "tolerance", "breaches"),
    [
        ("gt", 85, 85.0, 0, False),
        ("gt", 85, 85.1, 0, True),
        ("gte", 85, 85.0, 0, True),
        ("gte", 85, 84.9, 0, False),
        ("lt", 70, 70.0, 0, False),
        ("lt", 70, 69.9, 0, True),
        ("lte", 70, 70.0, 0, True),
        ("lte", 70, 70.1, 0, False),
        ("eq", 0, 0.0, 0, True),
        ("eq", 0, 0.4, 0.5, True),
        ("eq", 0, 0.6, 0.5, False),
        ("ne", 1, 1.0, 0, False),
        ("ne", 1, 1.4, 0.5, False),
        ("ne", 1, 2.0, 0.5, True),
        ("gte", -5, -5.0, 0, True),
    ],
)
def test_compare_operator_table(operator: str, threshold: float, value: float, tolerance: float, breaches: bool):
    cond = Condition.model_validate(condition(operator, threshold, tolerance=float(tolerance)))
    assert compare(cond, value) is breaches


def test_single_breach_fires_on_first_evaluation_by_default():
    decisions = play(make_rule(), [OK, B])
    assert events(decisions) == "-F"
    assert decisions[1].state.status is SeriesStatus.firing
    assert decisions[1].fire[0].alert_id == decisions[1].state.alert_id


@pytest.mark.parametrize(
    ("m", "n", "series", "timeline"),
    [
        (2, 2, [B, OK, B, OK], "----"),  # M consecutive: a gap resets
        (2, 2, [B, B], "-F"),
        (3, 3, [B, B, OK, B, B, B], "-----F"),
        (2, 3, [B, OK, B], "--F"),  # M of N tolerates gaps inside N
        (2, 3, [B, OK, OK, B], "----"),  # ... but not wider than N
        (3, 5, [B, OK, B, OK, B], "----F"),
        (1, 3, [OK, OK, B], "--F"),
    ],
)
def test_m_of_n_fires_only_with_m_breaches_in_last_n(m: int, n: int, series: list[float], timeline: str):
    assert events(play(make_rule(breaches_to_fire=m, out_of=n), series)) == timeline


def test_pending_while_breaching_below_m():
    decisions = play(make_rule(breaches_to_fire=3), [B, B])
    assert [d.state.status for d in decisions] == [SeriesStatus.pending, SeriesStatus.pending]
    assert decisions[-1].state.history == "BB"


def test_same_tick_twice_counts_once_and_fires_once():
    rule = make_rule(breaches_to_fire=2)
    first = evaluate_series(rule, [Observation(B)], None, T0)
    again = evaluate_series(rule, [Observation(B)], first.state, T0 + timedelta(seconds=30))  # same minute
    assert again.outcome is Outcome.duplicate and not again.changed
    assert again.state.history == "B"
    fired = evaluate_series(rule, [Observation(B)], first.state, T0 + timedelta(minutes=1))
    assert len(fired.fire) == 1
    repeat = evaluate_series(rule, [Observation(B)], fired.state, T0 + timedelta(minutes=1))
    assert repeat.outcome is Outcome.duplicate and repeat.fire == ()


def test_older_tick_after_a_newer_one_is_ignored():
    rule = make_rule()
    newer = evaluate_series(rule, [Observation(B)], None, T0 + timedelta(minutes=5))
    older = evaluate_series(rule, [Observation(OK)], newer.state, T0)
    assert older.outcome is Outcome.duplicate and older.resolve == ()


def test_auto_resolve_needs_resolve_after_consecutive_recoveries():
    decisions = play(make_rule(resolve_after=2), [B, OK, B, OK, OK])
    assert events(decisions) == "F---R"
    assert decisions[-1].state.status is SeriesStatus.ok
    assert decisions[-1].state.last_resolved_at == epoch(T0 + timedelta(minutes=4))


def test_auto_resolve_disabled_keeps_alert_open():
    decisions = play(make_rule(auto_resolve=False), [B, OK, OK, OK])
    assert events(decisions) == "F---"
    assert decisions[-1].state.status is SeriesStatus.firing


def test_hysteresis_recovers_only_past_resolve_threshold():
    rule = make_rule(conditions=[condition("gte", 85, resolve_threshold=80)])
    # 83 is below the threshold but inside the band: still breaching while firing.
    assert events(play(rule, [90, 83, 83, 79])) == "F--R"


def test_hysteresis_does_not_lower_the_firing_threshold():
    rule = make_rule(conditions=[condition("gte", 85, resolve_threshold=80)])
    assert events(play(rule, [83, 83])) == "--"


def test_hysteresis_for_lower_bound_rules():
    rule = make_rule(conditions=[condition("lt", 70, resolve_threshold=75)])
    assert events(play(rule, [60, 72, 74, 76])) == "F--R"


def test_missing_data_ignore_keeps_state_and_does_not_count():
    decisions = play(make_rule(breaches_to_fire=2), [B, None, B])
    assert events(decisions) == "--F"  # one ignored gap: the first breach is N x interval old, still counted
    assert decisions[1].outcome is Outcome.unknown and not decisions[1].changed


@pytest.mark.parametrize(
    ("m", "n", "series", "timeline"),
    [
        (2, 2, [B, None, None, B], "----"),  # two gaps: the first breach is older than N x 60 s
        (2, 3, [B] + [None] * 8 + [B], "-" * 10),  # the case: not "2 of 3"
        (2, 3, [B, None, B], "--F"),
        (2, 3, [B, None, None, B], "---F"),  # 180 s = N x 60 s: the boundary counts
        (2, 3, [B, OK, None, None, B], "-----"),
        (3, 5, [B, B, None, None, None, None, B], "-------"),  # the first drops out of the window
    ],
)
def test_stale_evaluations_stop_counting(m, n, series, timeline):
    assert events(play(make_rule(breaches_to_fire=m, out_of=n), series)) == timeline


def test_stale_window_scales_with_the_evaluation_interval():
    rule = make_rule(breaches_to_fire=2, evaluation_interval_seconds=300)
    step = timedelta(minutes=5)
    assert events(play(rule, [B, None, B], step=step)) == "--F"
    assert events(play(rule, [B, None, None, B], step=step)) == "----"


def test_missing_data_ignore_does_not_resolve_a_firing_alert():
    assert events(play(make_rule(), [B, None, None, None])) == "F---"


def test_missing_data_breaching_counts_as_breach():
    rule = make_rule(breaches_to_fire=2, treat_missing_data="breaching")
    assert events(play(rule, [None, None])) == "-F"


def test_missing_data_not_breaching_counts_as_recovery():
    rule = make_rule(treat_missing_data="not_breaching")
    assert events(play(rule, [B, None])) == "FR"


def test_missing_data_alert_fires_separate_nodata_alert_after_m_missing():
    rule = make_rule(breaches_to_fire=2, treat_missing_data="alert")
    decisions = play(rule, [None, None, None, OK])
    assert events(decisions) == "-N-R"
    nodata = decisions[1].fire[0]
    assert nodata.kind is AlertKind.nodata and nodata.alert_id.startswith("nd-")
    assert decisions[3].resolve[0].alert_id == nodata.alert_id
    assert decisions[2].changed is False  # the missing streak is capped: no write per tick


def test_missing_data_alert_and_threshold_alert_are_independent():
    rule = make_rule(treat_missing_data="alert")
    decisions = play(rule, [B, None, OK])
    assert events(decisions) == "FNRR"
    assert {c.kind for c in decisions[2].resolve} == {AlertKind.threshold, AlertKind.nodata}


@pytest.mark.parametrize(
    ("match", "values", "outcome"),
    [
        ("all", (B, None), Outcome.unknown),  # the known breach cannot decide "all"
        ("all", (OK, None), Outcome.ok),  # a known OK decides "all"
        ("all", (B, B), Outcome.breach),
        ("any", (B, None), Outcome.breach),  # a known breach decides "any"
        ("any", (OK, None), Outcome.unknown),
        ("any", (OK, OK), Outcome.ok),
    ],
)
def test_missing_condition_counts_only_when_known_conditions_decide(match: str, values: tuple, outcome: Outcome):
    rule = make_rule(
        match=match,
        conditions=[
            condition(),
            condition(
                "gte",
                85,
                metric={"namespace": "App/Service", "name": "Load", "dimensions": {"Service": "web"}},
            ),
        ],
    )
    decision = evaluate_series(rule, [Observation(v) for v in values], None, T0)
    assert decision.outcome is outcome


def test_multi_condition_all_needs_every_condition():
    rule = make_rule(
        conditions=[
            condition(),
            condition(
                "lt",
                10,
                metric={"namespace": "App/Service", "name": "Free", "dimensions": {"Service": "web"}},
            ),
        ]
    )
    assert events(play(rule, [(B, 50), (B, 5)])) == "-F"


def test_cooldown_holds_back_a_new_alert_then_fires_when_it_ends():
    rule = make_rule(cooldown_seconds=180)
    decisions = play(rule, [B, OK, B, B, B, B])
    # resolved at minute 1; minutes 2 and 3 are inside the 3-minute cooldown
    assert events(decisions) == "FRSSF-"
    assert decisions[2].suppressed == "cooldown"
    assert decisions[2].state.status is SeriesStatus.pending


def test_cooldown_counts_breaches_while_holding_back():
    rule = make_rule(cooldown_seconds=180, breaches_to_fire=2)
    assert events(play(rule, [B, B, OK, B, B, B])) == "-FR-SF"


def test_rate_limit_suppresses_beyond_max_alerts_per_hour_and_is_never_silent():
    rule = make_rule(max_alerts_per_hour=2)
    decisions = play(rule, [B, OK, B, OK, B, B])
    assert events(decisions) == "FRFRSS"
    assert decisions[4].suppressed == "rate_limit"
    assert decisions[5].suppressed == "rate_limit"  # held back again, counted by the summary
    # rewritten only to date its breach (so an old one stops counting); nothing else moves
    assert decisions[5].state.model_dump(exclude={"history_at", "last_tick"}) == decisions[4].state.model_dump(
        exclude={"history_at", "last_tick"}
    )


def test_rate_limit_window_is_rolling_sixty_minutes():
    rule = make_rule(max_alerts_per_hour=1)
    first = play(rule, [B, OK])
    later = evaluate_series(rule, [Observation(B)], first[-1].state, T0 + timedelta(minutes=59))
    assert later.suppressed == "rate_limit"
    after = evaluate_series(rule, [Observation(B)], later.state, T0 + timedelta(minutes=60, seconds=30))
    assert len(after.fire) == 1


def test_query_error_keeps_state_unchanged():
    rule = make_rule()
    fired = play(rule, [B])[-1]
    decision = evaluate_series(rule, [Observation(None, error="InternalError")], fired.state, T0 + timedelta(minutes=1))
    assert decision.outcome is Outcome.error and not decision.changed and decision.resolve == ()


def test_steady_states_cost_no_writes():
    ok = play(make_rule(), [OK, OK, OK])
    assert [d.changed for d in ok] == [False, False, False]
    firing = play(make_rule(), [B, B, B])
    assert [d.changed for d in firing] == [True, False, False]


def test_changing_the_definition_clears_history_but_keeps_open_alert():
    rule = make_rule(breaches_to_fire=2)
    pending = play(rule, [B])[-1].state
    changed = make_rule(breaches_to_fire=2, conditions=[condition("gte", 90)])
    decision = evaluate_series(changed, [Observation(B)], pending, T0 + timedelta(minutes=1))
    assert decision.state.history == "B" and decision.fire == ()
    firing = play(rule, [B, B])[-1].state
    after = evaluate_series(changed, [Observation(B)], firing, T0 + timedelta(minutes=2))
    assert after.state.alert_id == firing.alert_id


def test_manual_resolve_needs_m_new_breaches(alert_for):
    rule = make_rule(breaches_to_fire=2, out_of=3)
    firing = play(rule, [B, B])[-1].state
    cleared = forget_alert(firing, alert_for(firing.alert_id), epoch(T0 + timedelta(minutes=2)))
    assert events(play(rule, [B, B], state=cleared, start=T0 + timedelta(minutes=3))) == "-F"


@pytest.mark.parametrize(
    ("interval", "minute", "due"), [(60, 0, True), (300, 0, True), (300, 2, False), (120, 3, False)]
)
def test_evaluation_interval_runs_on_multiples_of_k_minutes(interval: int, minute: int, due: bool):
    assert is_due(make_rule(evaluation_interval_seconds=interval), T0 + timedelta(minutes=minute)) is due


def test_alert_ids_are_deterministic_per_series_and_tick():
    a = play(make_rule(), [B])[0].fire[0].alert_id
    b = play(make_rule(), [B])[0].fire[0].alert_id
    assert a == b


@pytest.fixture
def alert_for():
    def build(alert_id: str | None) -> Alert:
        from alerting.evaluation import AlertChange, initial_state
        from alerting.lifecycle import start_alert

        rule = make_rule()
        return start_alert(rule, initial_state(rule), AlertChange(AlertKind.threshold, alert_id or "x", "r"), [], T0)

    return build


def test_nodata_alert_resolves_when_the_rule_stops_alerting_on_no_data():
    watching = make_rule(treat_missing_data="alert")
    opened = play(watching, [None])[-1]
    assert opened.state.nodata_alert_id is not None
    relaxed = make_rule(treat_missing_data="ignore")
    decision = evaluate_series(relaxed, [Observation(None)], opened.state, T0 + timedelta(minutes=1))
    assert [c.kind for c in decision.resolve] == [AlertKind.nodata]
    assert decision.state.nodata_alert_id is None


def failing(n: int) -> list[Observation]:
    return [Observation(None, error="Throttling")] * n


def test_on_error_alert_fires_after_m_failed_evaluations_and_resolves_when_queries_succeed():
    rule = make_rule(on_error="alert", breaches_to_fire=2)
    state = None
    timeline = []
    for minute, observations in enumerate([failing(1), failing(1), failing(1), [Observation(OK)]]):
        decision = evaluate_series(rule, observations, state, T0 + timedelta(minutes=minute))
        state = decision.state
        timeline.append(
            "".join(f"{c.kind}+" for c in decision.fire) + "".join(f"{c.kind}-" for c in decision.resolve) or "-"
        )
    assert timeline == ["-", "error+", "-", "error-"]
    assert (state.error_alert_id, state.error_streak) == (None, 0)


def test_on_error_keep_changes_nothing_and_a_success_in_between_resets_the_streak():
    kept = evaluate_series(make_rule(), failing(1), None, T0)
    assert kept.outcome is Outcome.error and not kept.changed
    rule = make_rule(on_error="alert", breaches_to_fire=2)
    first = evaluate_series(rule, failing(1), None, T0)
    ok = evaluate_series(rule, [Observation(OK)], first.state, T0 + timedelta(minutes=1))
    again = evaluate_series(rule, failing(1), ok.state, T0 + timedelta(minutes=2))
    assert (first.state.error_streak, ok.state.error_streak, again.fire) == (1, 0, ())


def test_an_error_alert_and_a_threshold_alert_are_separate():
    rule = make_rule(on_error="alert")
    fired = evaluate_series(rule, [Observation(B)], None, T0)
    errored = evaluate_series(rule, failing(1), fired.state, T0 + timedelta(minutes=1))
    (change,) = errored.fire
    assert change.kind == "error" and change.alert_id.startswith("er-")
    assert errored.state.alert_id == fired.state.alert_id  # the breach alert stays open, undecided
