"""The heart of the product: one pure decision per series per tick.

``evaluate_series(rule, observations, previous, now)`` takes what CloudWatch returned for each
condition and the state stored after the last change, and returns the new state plus the alerts
to start and resolve. No I/O, no clock: ``now`` is an argument, so every row of the semantics
table in ``docs/rule-semantics.md`` is a table test.

The steps, in order: failing queries (`_query_failed`, `_queries_succeed`), missing data
(`_watch_missing`), whether the tick breaches (`alerting.breaching`), then the threshold alert:
an open one's level (`_level`) and recovery (`_recover`), a closed one's M-of-N start
(`_start_on_history`). Every start may be held back by the cooldown or the hourly limit, and is
counted against flapping (`alerting.flapping`); a flapping series that keeps still settles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from alerting import flapping
from alerting.breaching import BREACH, CRITICAL, OK, WARN, WARNING, counted, verdict
from alerting.models.alerts import AlertKind, SeriesState, SeriesStatus
from alerting.models.common import AlertEvent, Severity, epoch, floor_minute
from alerting.models.rules import MissingData, OnError, Rule


@dataclass(frozen=True)
class Observation:
    """One condition's value for this tick: ``None`` when CloudWatch had no datapoint."""

    value: float | None
    error: str | None = None


class Outcome(StrEnum):
    breach = "breach"
    ok = "ok"
    unknown = "unknown"  # missing data that does not decide `match`: not counted
    error = "error"  # a query failed: not counted, state kept
    duplicate = "duplicate"  # this tick (or a later one) already changed the state


@dataclass(frozen=True)
class AlertChange:
    kind: AlertKind
    alert_id: str
    reason: str
    event: AlertEvent = AlertEvent.firing  # of a start: `flapping` when this start makes it flap
    quiet: bool = False  # the series flaps: recorded, not notified
    severity: Severity | None = None  # of a start or a level change (None: the rule's)


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    state: SeriesState
    changed: bool
    fire: tuple[AlertChange, ...] = ()
    resolve: tuple[AlertChange, ...] = ()
    suppressed: str | None = None
    settle: AlertChange | None = None  # a flapping series settled: announce where (firing / resolved)
    level: AlertChange | None = None  # an open alert rose to critical or fell to warning


class Scheduled(Protocol):
    @property
    def evaluation_interval_seconds(self) -> int: ...


def is_due(rule: Scheduled, now: datetime) -> bool:
    """A k-minute rule runs on ticks whose minute since the epoch is a multiple of k."""
    minutes = epoch(floor_minute(now)) // 60
    return minutes % (rule.evaluation_interval_seconds // 60) == 0


def alert_id_for(fingerprint: str, kind: AlertKind, tick: int) -> str:
    """Deterministic: the same series starting on the same tick always gets the same id."""
    prefix = {AlertKind.nodata: "nd-", AlertKind.error: "er-"}.get(kind, "")
    return f"{prefix}{fingerprint[:12]}-{tick}"


def initial_state(rule: Rule, series: dict[str, str] | None = None) -> SeriesState:
    """A series never seen: the rule's own, or one series of a fleet rule."""
    dimensions = rule.series if series is None else series
    return SeriesState(
        rule_id=rule.rule_id,
        fingerprint=rule.fingerprint_of(dimensions),
        series=dimensions,
        definition=rule.definition_hash,
    )


def evaluate_series(
    rule: Rule,
    observations: Sequence[Observation],
    previous: SeriesState | None,
    now: datetime,
    series: dict[str, str] | None = None,
) -> Decision:
    """``series``: which series of a fleet rule, when it has no stored state yet."""
    tick = epoch(floor_minute(now))
    baseline = previous or initial_state(rule, series)
    if previous is not None and previous.last_tick >= tick:
        return Decision(Outcome.duplicate, previous, changed=False)
    failed = next((o.error for o in observations if o.error), None)
    if failed is not None and rule.on_error is OnError.keep and baseline.error_alert_id is None:
        return Decision(Outcome.error, baseline, changed=False)
    draft = _Draft(rule, _as_defined(rule, baseline), tick)
    if failed is not None:  # failing queries as their own alert: nothing else is decided meanwhile
        _query_failed(draft, failed)
        return draft.decided(Outcome.error, baseline)
    _queries_succeed(draft)
    values = [o.value for o in observations]
    _watch_missing(draft, values)
    if rule.wildcards:  # a fleet series that stops reporting is retired after series_ttl_seconds
        silent = all(v is None for v in values)
        draft.state.missing_since = (draft.state.missing_since or tick) if silent else None
    critical, breached = verdict(rule, values, draft.state)
    level = None if breached is None else _threshold(draft, critical, breached)
    outcome = Outcome.unknown if breached is None else (Outcome.breach if breached else Outcome.ok)
    settle = _settled(draft) if not draft.fire and not draft.resolve else None
    decision = draft.decided(outcome, baseline, settle)
    return replace(decision, level=level) if level else decision


def _as_defined(rule: Rule, baseline: SeriesState) -> SeriesState:
    """The state to change: a copy, its history cleared when what the rule measures has changed."""
    state = baseline.model_copy()  # shallow: fields are only ever reassigned, never mutated in place
    if state.definition != rule.definition_hash:
        state.definition = rule.definition_hash
        state.history, state.history_at, state.recovered_streak, state.missing_streak = "", [], 0, 0
    return state


@dataclass
class _Draft:
    """One evaluation under way: the series' state as it changes, the alerts it starts and resolves."""

    rule: Rule
    state: SeriesState
    tick: int
    fire: list[AlertChange] = field(default_factory=list)
    resolve: list[AlertChange] = field(default_factory=list)
    held_back: str | None = None

    def start(self, kind: AlertKind, reason: str, severity: Severity | None = None) -> str | None:
        """Start an alert unless the cooldown or the hourly limit holds it back."""
        rule, state, tick = self.rule, self.state, self.tick
        if state.last_resolved_at is not None and tick < state.last_resolved_at + rule.cooldown_seconds:
            self.held_back = "cooldown"
            return None
        recent = [t for t in state.alert_starts if t > tick - 3600]
        if rule.max_alerts_per_hour is not None and len(recent) >= rule.max_alerts_per_hour:
            state.alert_starts = recent
            self.held_back = "rate_limit"
            return None
        alert_id = alert_id_for(state.fingerprint, kind, tick)
        state.alert_starts = [*recent, tick]
        event, quiet = AlertEvent.firing, False
        if rule.flapping is not None and kind is AlertKind.threshold:
            event, quiet, flapped = flapping.count_start(rule.flapping, state, tick, alert_id)
            reason = flapped or reason
        self.fire.append(AlertChange(kind, alert_id, reason, event, quiet, severity))
        return alert_id

    def resolved(self, kind: AlertKind, alert_id: str, reason: str) -> None:
        self.resolve.append(AlertChange(kind, alert_id, reason))
        self.state.last_resolved_at = self.tick

    def decided(self, outcome: Outcome, baseline: SeriesState, settle: AlertChange | None = None) -> Decision:
        state = self.state
        state.suppressed = self.held_back
        if state.alert_id is not None:
            state.status = SeriesStatus.firing
        elif state.history or self.held_back:
            state.status = SeriesStatus.pending
        else:
            state.status = SeriesStatus.ok
        changed = state != baseline
        if changed:
            state.last_tick = self.tick
        return Decision(
            outcome,
            state if changed else baseline,
            changed=changed,
            fire=tuple(self.fire),
            resolve=tuple(self.resolve),
            suppressed=self.held_back,
            settle=settle,
        )


def _query_failed(draft: _Draft, failed: str) -> None:
    """on_error=alert: M consecutive evaluations with a failed query start an `error` alert."""
    rule, state = draft.rule, draft.state
    if rule.on_error is OnError.alert:
        state.error_streak = min(state.error_streak + 1, rule.breaches_to_fire)
        if state.error_streak >= rule.breaches_to_fire and state.error_alert_id is None:
            state.error_alert_id = draft.start(AlertKind.error, f"queries failed {state.error_streak} times: {failed}")


def _queries_succeed(draft: _Draft) -> None:
    state = draft.state
    if state.error_alert_id is not None or state.error_streak:
        if state.error_alert_id is not None:
            draft.resolved(AlertKind.error, state.error_alert_id, "queries succeed again")
        state.error_alert_id, state.error_streak = None, 0


def _watch_missing(draft: _Draft, values: Sequence[float | None]) -> None:
    """treat_missing_data=alert: M consecutive evaluations missing a value start a `nodata` alert,
    resolved when the data is back (or the rule no longer alerts on no data)."""
    rule, state = draft.rule, draft.state
    watching = rule.treat_missing_data is MissingData.alert
    if watching and any(v is None for v in values):
        state.missing_streak = min(state.missing_streak + 1, rule.breaches_to_fire)
        if state.missing_streak >= rule.breaches_to_fire and state.nodata_alert_id is None:
            state.nodata_alert_id = draft.start(AlertKind.nodata, f"no data for {state.missing_streak} evaluations")
        return
    state.missing_streak = 0
    if state.nodata_alert_id is not None:
        reason = "data returned" if watching else "treat_missing_data is no longer alert"
        draft.resolved(AlertKind.nodata, state.nodata_alert_id, reason)
        state.nodata_alert_id = None


def _threshold(draft: _Draft, critical: bool | None, breached: bool) -> AlertChange | None:
    """The threshold alert on a tick that decides: an open one's level or recovery (the history
    waits meanwhile), else the tick counted in the history, which may start one."""
    state = draft.state
    if state.alert_id is not None:
        if not breached:
            _recover(draft)
            return None
        state.recovered_streak = 0
        return _level(draft.rule, state, bool(critical))
    mark = BREACH if critical else (WARN if breached else OK)
    state.history, state.history_at = counted(state, mark, draft.tick, draft.rule)
    _start_on_history(draft)
    return None


def _recover(draft: _Draft) -> None:
    """An open alert resolves after `resolve_after` consecutive evaluations that do not breach."""
    rule, state = draft.rule, draft.state
    assert state.alert_id is not None
    state.recovered_streak = min(state.recovered_streak + 1, rule.resolve_after)
    if rule.auto_resolve and state.recovered_streak >= rule.resolve_after:
        reason = f"recovered for {state.recovered_streak} evaluation(s)"
        draft.resolved(AlertKind.threshold, state.alert_id, reason)
        state.alert_id, state.history, state.history_at, state.recovered_streak = None, "", [], 0
        state.level, state.level_streak = CRITICAL, 0
        state.last_change_at = draft.tick if rule.flapping is not None else state.last_change_at


def _start_on_history(draft: _Draft) -> None:
    """M of the last N evaluations breaching start an alert: at the critical level when M breached
    it, else at the warning level when M breached at least that."""
    rule, state = draft.rule, draft.state
    count = state.history.count(BREACH)
    either = count + state.history.count(WARN)
    if count >= rule.breaches_to_fire:
        state.alert_id = draft.start(AlertKind.threshold, f"{count} of the last {rule.n} evaluations breached")
        state.level, state.level_streak = CRITICAL, 0
    elif either >= rule.breaches_to_fire:
        reason = f"{either} of the last {rule.n} evaluations breached the warning threshold"
        state.alert_id = draft.start(AlertKind.threshold, reason, rule.warning_severity)
        state.level, state.level_streak = WARNING, 0


def _level(rule: Rule, state: SeriesState, critical: bool) -> AlertChange | None:
    """An open alert's level, per evaluation that breaches at least the warning threshold: it
    rises to critical after M consecutive critical breaches, and falls back to warning after
    `resolve_after` consecutive evaluations below critical (past its hysteresis). Updates ``state``."""
    assert state.alert_id is not None
    toward = WARNING if state.level == CRITICAL else CRITICAL
    if critical == (state.level == CRITICAL) or not rule.has_warning:
        state.level_streak = 0
        return None
    state.level_streak += 1
    needed = rule.breaches_to_fire if toward == CRITICAL else rule.resolve_after
    if state.level_streak < needed:
        return None
    state.level, state.level_streak = toward, 0
    if toward == CRITICAL:
        return AlertChange(
            AlertKind.threshold, state.alert_id, f"critical for {needed} evaluation(s)", severity=rule.severity
        )
    reason = f"below critical for {needed} evaluation(s), still above the warning threshold"
    return AlertChange(AlertKind.threshold, state.alert_id, reason, severity=rule.warning_severity)


def _settled(draft: _Draft) -> AlertChange | None:
    settled = flapping.settle(draft.rule.flapping, draft.state, draft.tick)
    return None if settled is None else AlertChange(AlertKind.threshold, *settled)
