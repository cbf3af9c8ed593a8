"""Rule dry run: the evaluator's decision for one rule as of now, against current CloudWatch data.

The same pure `evaluate_series` the evaluator runs, over the stored series state; the decision
is reported, never committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from alerting.breaching import BREACH, condition_outcome
from alerting.discovery import MetricDirectory, fleet
from alerting.errors import InvalidInput
from alerting.evaluation import Decision, Observation, Outcome, evaluate_series, is_due
from alerting.metrics import MetricQuery, observe, queries_for
from alerting.models.alerts import ConditionValue, SeriesState
from alerting.models.common import floor_minute
from alerting.models.rules import Rule
from alerting.repositories.state import StateRepository
from api.schemas import Action, ConditionResult, RuleTestResult, SeriesTestResult


class MetricReader(Protocol):
    def fetch(self, queries: list[MetricQuery]) -> dict[MetricQuery, Observation]: ...


def report(
    rule: Rule,
    observations: Sequence[Observation],
    previous: SeriesState | None,
    now: datetime,
    series: dict[str, str] | None = None,
) -> RuleTestResult:
    tick = floor_minute(now)
    # The dry run always counts this minute, even when the evaluator already has: otherwise a
    # test right after a tick would only say "duplicate".
    state = None if previous is None else previous.model_copy(update={"last_tick": 0})
    decision = evaluate_series(rule, observations, state, tick, series)
    alert_open = state is not None and state.alert_id is not None
    breaches = decision.state.history.count(BREACH)
    window_end = tick - timedelta(seconds=rule.evaluation_delay_seconds)
    return RuleTestResult(
        rule_id=rule.rule_id,
        evaluated_at=tick,
        window_start=window_end - timedelta(seconds=rule.window_seconds),
        window_end=window_end,
        enabled=rule.enabled,
        due=is_due(rule, tick),
        conditions=[
            ConditionResult(
                **ConditionValue.observed(c, o.value).model_dump(),
                resolve_threshold=c.resolve_threshold,
                breaching=None if o.error else condition_outcome(c, o.value, rule.treat_missing_data, alert_open),
                error=o.error,
            )
            for c, o in zip(rule.conditions, observations, strict=True)
        ],
        outcome=decision.outcome,
        action=_action(decision),
        reason=_reason(rule, decision, breaches),
        breaches=breaches,
        breaches_to_fire=rule.breaches_to_fire,
        out_of=rule.n,
        pending=f"{breaches} of {rule.n}",
        series_status=decision.state.status,
        open_alert_id=decision.state.alert_id or decision.state.nodata_alert_id or decision.state.error_alert_id,
        series=decision.state.series,
    )


URGENCY: dict[str, int] = {"fire": 0, "resolve": 1, "suppressed": 2, "nothing": 3}


def combined(results: list[RuleTestResult], excess: int) -> RuleTestResult:
    """A fleet rule's dry run: the most urgent series as the headline, and every series."""
    ordered = sorted(results, key=lambda r: (URGENCY[r.action], r.outcome is not Outcome.breach))
    fleet = [SeriesTestResult.model_validate(r.model_dump(include=set(SeriesTestResult.model_fields))) for r in ordered]
    return ordered[0].model_copy(update={"fleet": fleet, "series_over_limit": excess})


def _action(decision: Decision) -> Action:
    if decision.fire:
        return "fire"
    if decision.resolve:
        return "resolve"
    if decision.suppressed:
        return "suppressed"
    return "nothing"


def _reason(rule: Rule, decision: Decision, breaches: int) -> str:
    if decision.fire:
        return "; ".join(change.reason for change in decision.fire)
    if decision.resolve:
        return "; ".join(change.reason for change in decision.resolve)
    if decision.suppressed:
        return f"an alert is due but held back ({decision.suppressed})"
    if decision.outcome is Outcome.error:
        return "a metric query failed; the evaluation would not count"
    if decision.outcome is Outcome.unknown:
        return "missing data that does not decide the rule; the evaluation would not count"
    if decision.state.alert_id:
        return f"the alert stays open (recovered {decision.state.recovered_streak} of {rule.resolve_after})"
    return f"{breaches} of the last {rule.n} evaluations breached; {rule.breaches_to_fire} needed to fire"


@dataclass
class RuleTester:
    metrics: MetricReader
    states: StateRepository
    directory: MetricDirectory | None = None  # fleet rules: which series exist

    def run(self, rule: Rule, now: datetime, *, with_state: bool) -> RuleTestResult:
        """`with_state`: the rule has an id, so its series state (breach history, open alert) counts."""
        tick = floor_minute(now)
        if not rule.wildcards:
            observations = self.metrics.fetch(queries_for(rule, tick))
            state = self.states.get(rule.rule_id, rule.fingerprint) if with_state else None
            return report(rule, observe(rule, observations, tick), state, now)
        states = {s.fingerprint: s for s in self.states.for_rule(rule.rule_id)} if with_state else {}
        found = fleet(rule, self.directory, tick, [s.series for s in states.values()])
        if not found.series:
            raise InvalidInput("conditions", "no series reports these metrics (ListMetrics found none in 3 hours)")
        observations = self.metrics.fetch([q for series in found.series for q in queries_for(rule, tick, series)])
        results = [
            report(
                rule, observe(rule, observations, tick, series), states.get(rule.fingerprint_of(series)), now, series
            )
            for series in found.series
        ]
        return combined(results, found.excess)
