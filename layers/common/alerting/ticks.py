"""One rule's ticks in memory, as the evaluator runs them: rule tests and backtests replay here.

Each minute, as ``evaluator.service.Evaluator.run`` does for every rule: a stored series that
no longer belongs to the rule is retired (`retirement`); when the rule is due, its series are
found (`discovery.fleet`), observed, and decided by `evaluate_series`; each decision is applied
with the lifecycle's own transitions (`start_alert`, `recover`, `change_severity`, `settle`);
then the sweep's time-driven transitions (`time_transition`: escalation, reminders, a silence's
end). The evaluator writes those to DynamoDB; `RuleReplay` keeps them in dictionaries. Both
decide with the same pure functions, and the backtest's property test holds their alerts equal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from alerting.discovery import MetricDirectory, fleet
from alerting.evaluation import Decision, Observation, evaluate_series, is_due
from alerting.lifecycle import (
    EVALUATOR,
    change_severity,
    due_transition,
    recover,
    resolve,
    settle,
    silence_ended,
    start_alert,
)
from alerting.metrics import MetricQuery, observe, queries_for
from alerting.models.alerts import Alert, ConditionValue, Resolution, SeriesState, Transition
from alerting.models.common import epoch, floor_minute
from alerting.models.conditions import Operator
from alerting.models.policies import EscalationPolicySpec
from alerting.models.rules import Rule
from alerting.models.silences import Silence

MINUTE = timedelta(minutes=1)


def retirement(rule: Rule | None, state: SeriesState, tick: int) -> str | None:
    """Why a stored series no longer belongs to an evaluated rule, if it does not.

    The API closes a disabled or deleted rule's alerts at once; this is the backstop that makes
    every path converge (rules-as-code sync, a tick that raced the change, a dimension change
    that moved the rule to another series). A fleet rule's series that has had no data for
    `series_ttl_seconds` is gone (its instance was terminated, its service renamed)."""
    if rule is None:
        return "rule_deleted"
    if not rule.enabled:
        return "rule_disabled"
    if not rule.owns(state.series) or rule.fingerprint_of(state.series) != state.fingerprint:
        return "rule_changed"
    if rule.wildcards and state.missing_since is not None and tick - state.missing_since >= rule.series_ttl_seconds:
        return "series_gone"
    return None


def time_transition(
    alert: Alert,
    rule: Rule | None,
    policy: EscalationPolicySpec | None,
    silences: list[Silence],
    tick: datetime,
) -> tuple[Alert, Transition] | None:
    """What time alone does to an open alert at the tick: the sweep's one step, if any."""
    repeat = rule.repeat_interval_seconds if rule else None
    return due_transition(alert, policy, repeat, tick) or silence_ended(alert, silences, tick)


class MetricReader(Protocol):
    def fetch(self, queries: list[MetricQuery]) -> dict[MetricQuery, Observation]: ...


class Observer(Protocol):
    """Each series' observations (one per condition) at a tick."""

    def __call__(self, rule: Rule, tick: datetime, series: list[dict[str, str]]) -> list[list[Observation]]: ...


@dataclass
class FetchingObserver:
    """The evaluator's way: the tick's queries, fetched in batches, each series observed from them."""

    metrics: MetricReader

    def __call__(self, rule: Rule, tick: datetime, series: list[dict[str, str]]) -> list[list[Observation]]:
        distinct = list(dict.fromkeys(q for s in series for q in queries_for(rule, tick, s)))
        fetched = self.metrics.fetch(distinct) if distinct else {}
        return [observe(rule, fetched, tick, s) for s in series]


@dataclass(frozen=True)
class Change:
    """One recorded transition: the alert after it, and the observations behind it (none for a
    time-driven one)."""

    alert: Alert
    transition: Transition
    observations: tuple[Observation, ...] = ()


@dataclass
class RuleReplay:
    """A rule's evaluator, in memory. ``clock`` is told each tick's time before anything else
    (a listing stand-in answers ListMetrics as of then). A disabled rule is replayed as if enabled:
    the question is what it would do."""

    rule: Rule
    observer: Observer
    directory: MetricDirectory | None = None
    policy: EscalationPolicySpec | None = None
    silences: Sequence[Silence] = ()
    clock: Callable[[datetime], None] | None = None
    states: dict[str, SeriesState] = field(default_factory=dict)  # by fingerprint
    alerts: dict[str, Alert] = field(default_factory=dict)  # by alert id
    changes: list[Change] = field(default_factory=list)
    peaks: dict[str, float] = field(default_factory=dict)  # an alert's most extreme first-condition value
    observed: dict[str, tuple[dict[str, str], list[Observation]]] = field(
        default_factory=dict
    )  # latest, by fingerprint
    evaluations: int = 0
    _open: dict[str, Alert] = field(default_factory=dict)  # the sweep's: every tick, not every alert ever

    def __post_init__(self) -> None:
        if not self.rule.enabled:
            self.rule = self.rule.model_copy(update={"enabled": True})
        self._farther = _farther(self.rule)

    def run(self, start: datetime, end: datetime, progress: Callable[[datetime], None] | None = None) -> list[Change]:
        """Every minute from ``start`` to ``end`` inclusive; ``progress`` after each."""
        tick = floor_minute(start)
        while tick <= end:
            self.tick(tick)
            if progress is not None:
                progress(tick)
            tick += MINUTE
        return self.changes

    def tick(self, now: datetime) -> list[Change]:
        tick = floor_minute(now)
        if self.clock is not None:
            self.clock(tick)
        before = len(self.changes)
        self._retire(tick)
        if is_due(self.rule, tick):
            self._evaluate(tick)
        silences = list(self.silences)
        for alert in list(self._open.values()):
            due = time_transition(alert, self.rule, self.policy, silences, tick)
            if due is not None:
                self._record(*due)
        return self.changes[before:]

    def open_alerts(self) -> list[Alert]:
        return list(self._open.values())

    def _retire(self, tick: datetime) -> None:
        for fingerprint, state in list(self.states.items()):
            reason = retirement(self.rule, state, epoch(tick))
            if reason is None:
                continue
            for alert_id in filter(None, (state.alert_id, state.nodata_alert_id, state.error_alert_id)):
                current = self.alerts[alert_id]
                if current.is_open:
                    self._record(*resolve(current, EVALUATOR, tick, reason=reason, resolution=Resolution.auto))
            del self.states[fingerprint]

    def _evaluate(self, tick: datetime) -> None:
        found = fleet(self.rule, self.directory, tick, [s.series for s in self.states.values()])
        for series, observations in zip(found.series, self.observer(self.rule, tick, found.series), strict=True):
            fingerprint = self.rule.fingerprint_of(series)
            self.evaluations += 1
            decision = evaluate_series(self.rule, observations, self.states.get(fingerprint), tick, series)
            self.observed[fingerprint] = (series, observations)
            if decision.changed:
                self._apply(decision, observations, tick)
                self.states[fingerprint] = decision.state
            self._peak(decision.state.alert_id, observations)

    def _apply(self, decision: Decision, observations: list[Observation], tick: datetime) -> None:
        """The evaluator's commit, in memory: the same transitions in the same order."""
        rule, seen = self.rule, tuple(observations)
        values = [ConditionValue.observed(c, o.value) for c, o in zip(rule.conditions, observations, strict=True)]
        for change in decision.fire:
            alert = start_alert(rule, decision.state, change, values, tick)
            self._record(alert, alert.last_transition, seen)
        for change in decision.resolve:
            current = self.alerts[change.alert_id]
            if current.is_open:
                self._record(*recover(current, rule, values, tick, reason=change.reason), seen)
        if decision.level is not None:
            self._record(
                *change_severity(self.alerts[decision.level.alert_id], rule, values, decision.level, tick), seen
            )
        if decision.settle is not None:
            self._record(*settle(self.alerts[decision.settle.alert_id], decision.settle, tick), seen)

    def _record(self, alert: Alert, transition: Transition, seen: tuple[Observation, ...] = ()) -> None:
        self.alerts[alert.alert_id] = alert
        if alert.is_open:
            self._open[alert.alert_id] = alert
        else:
            self._open.pop(alert.alert_id, None)
        self.changes.append(Change(alert, transition, seen))

    def _peak(self, alert_id: str | None, observations: list[Observation]) -> None:
        value = observations[0].value if observations else None
        if alert_id is None or value is None:
            return
        current = self.peaks.get(alert_id)
        if current is None or self._farther(value, current):
            self.peaks[alert_id] = value


def _farther(rule: Rule) -> Callable[[float, float], bool]:
    """Whether a value is farther on the first condition's breaching side than another."""
    condition = rule.conditions[0]
    if condition.operator in (Operator.gt, Operator.gte):
        return lambda value, than: value > than
    if condition.operator in (Operator.lt, Operator.lte):
        return lambda value, than: value < than
    return lambda value, than: abs(value - condition.threshold) > abs(than - condition.threshold)
