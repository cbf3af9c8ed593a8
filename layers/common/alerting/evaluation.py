"""The heart of the product: one pure decision per series per tick.

``evaluate_series(rule, observations, previous, now)`` takes what CloudWatch returned for each
condition and the state stored after the last change, and returns the new state plus the alerts
to start and resolve. No I/O, no clock: ``now`` is an argument, so every row of the semantics
table in ``docs/rule-semantics.md`` is a table test.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from alerting.models.alerts import AlertKind, SeriesState, SeriesStatus
from alerting.models.common import AlertEvent, Severity, epoch, floor_minute
from alerting.models.rules import Condition, Match, MissingData, OnError, Operator, Rule

BREACH, WARN, OK = "B", "W", "."  # a breach (of the critical level), of the warning level only, none


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


def compare(condition: Condition, value: float) -> bool:
    op, threshold = condition.operator, condition.threshold
    if op is Operator.gt:
        return value > threshold
    if op is Operator.gte:
        return value >= threshold
    if op is Operator.lt:
        return value < threshold
    if op is Operator.lte:
        return value <= threshold
    within = abs(value - threshold) <= condition.tolerance
    return within if op is Operator.eq else not within


def still_breaching(condition: Condition, value: float) -> bool:
    """While an alert is open, hysteresis: recovered only past `resolve_threshold`."""
    if condition.resolve_threshold is None:
        return compare(condition, value)
    if condition.operator in (Operator.gt, Operator.gte):
        return not value < condition.resolve_threshold
    return not value > condition.resolve_threshold


def condition_outcome(
    condition: Condition, observation: Observation, policy: MissingData, alert_open: bool
) -> bool | None:
    """True breach, False ok, None unknown (missing under ignore/alert)."""
    if observation.value is None:
        if policy is MissingData.breaching:
            return True
        if policy is MissingData.not_breaching:
            return False
        return None
    if alert_open:
        return still_breaching(condition, observation.value)
    return compare(condition, observation.value)


def combine(match: Match, outcomes: Sequence[bool | None]) -> bool | None:
    """Unknown conditions count only when the known ones cannot decide on their own."""
    if match is Match.all:
        if any(o is False for o in outcomes):
            return False
        return None if any(o is None for o in outcomes) else True
    if any(o is True for o in outcomes):
        return True
    return None if any(o is None for o in outcomes) else False


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

    state = baseline.model_copy()  # shallow: fields are only ever reassigned, never mutated in place
    if state.definition != rule.definition_hash:
        state.definition = rule.definition_hash
        state.history, state.history_at, state.recovered_streak, state.missing_streak = "", [], 0, 0

    fire: list[AlertChange] = []
    resolve: list[AlertChange] = []
    held_back: str | None = None

    def start(kind: AlertKind, reason: str, severity: Severity | None = None) -> str | None:
        """Start an alert unless the cooldown or the hourly limit holds it back."""
        nonlocal held_back
        if state.last_resolved_at is not None and tick < state.last_resolved_at + rule.cooldown_seconds:
            held_back = "cooldown"
            return None
        recent = [t for t in state.alert_starts if t > tick - 3600]
        if rule.max_alerts_per_hour is not None and len(recent) >= rule.max_alerts_per_hour:
            state.alert_starts = recent
            held_back = "rate_limit"
            return None
        alert_id = alert_id_for(state.fingerprint, kind, tick)
        state.alert_starts = [*recent, tick]
        event, quiet = AlertEvent.firing, False
        if rule.flapping is not None and kind is AlertKind.threshold:
            window = rule.flapping.within_seconds
            starts = [t for t in state.flap_starts if t > tick - window] + [tick]
            state.flap_starts, state.last_change_at = starts[-rule.flapping.max_starts :], tick
            if state.flapping:
                quiet = True
            elif len(starts) >= rule.flapping.max_starts:
                state.flapping, event, quiet = True, AlertEvent.flapping, True
                reason = f"started {len(starts)} times within {window // 60} min"
            if state.flapping:
                state.flap_alert_id = alert_id
        fire.append(AlertChange(kind, alert_id, reason, event, quiet, severity))
        return alert_id

    # Failing queries as their own alert (on_error=alert): nothing else is decided meanwhile.
    if failed is not None:
        if rule.on_error is OnError.alert:
            state.error_streak = min(state.error_streak + 1, rule.breaches_to_fire)
            if state.error_streak >= rule.breaches_to_fire and state.error_alert_id is None:
                state.error_alert_id = start(AlertKind.error, f"queries failed {state.error_streak} times: {failed}")
        return _decided(Outcome.error, state, baseline, tick, fire, resolve, held_back)
    if state.error_alert_id is not None or state.error_streak:
        if state.error_alert_id is not None:
            resolve.append(AlertChange(AlertKind.error, state.error_alert_id, "queries succeed again"))
            state.last_resolved_at = tick
        state.error_alert_id, state.error_streak = None, 0

    # Missing data as its own alert (treat_missing_data=alert).
    watching = rule.treat_missing_data is MissingData.alert
    if watching and any(o.value is None for o in observations):
        state.missing_streak = min(state.missing_streak + 1, rule.breaches_to_fire)
        if state.missing_streak >= rule.breaches_to_fire and state.nodata_alert_id is None:
            state.nodata_alert_id = start(AlertKind.nodata, f"no data for {state.missing_streak} evaluations")
    else:
        state.missing_streak = 0
        if state.nodata_alert_id is not None:  # data is back, or the rule stopped alerting on no data
            reason = "data returned" if watching else "treat_missing_data is no longer alert"
            resolve.append(AlertChange(AlertKind.nodata, state.nodata_alert_id, reason))
            state.nodata_alert_id = None
            state.last_resolved_at = tick

    if rule.wildcards:  # a fleet series that stops reporting is retired after series_ttl_seconds
        silent = all(o.value is None for o in observations)
        state.missing_since = (state.missing_since or tick) if silent else None

    alert_open = state.alert_id is not None
    critical_open = alert_open and state.level == CRITICAL  # hysteresis holds the level an alert is at
    critical = combine(
        rule.match,
        [
            condition_outcome(c, o, rule.treat_missing_data, critical_open)
            for c, o in zip(rule.conditions, observations, strict=True)
        ],
    )
    breached = critical
    if rule.has_warning:
        warned = combine(
            rule.match,
            [
                condition_outcome(c.at_warning(), o, rule.treat_missing_data, alert_open)
                for c, o in zip(rule.conditions, observations, strict=True)
            ],
        )
        breached = True if critical else warned
    outcome = Outcome.unknown if breached is None else (Outcome.breach if breached else Outcome.ok)
    level_change: AlertChange | None = None

    if breached is not None:
        if not alert_open:  # while open, recovery is the streak's business: the history waits
            mark = BREACH if critical else (WARN if breached else OK)
            state.history, state.history_at = counted(state, mark, tick, rule)
        if alert_open:
            assert state.alert_id is not None
            if breached:
                state.recovered_streak = 0
                level_change = _level(rule, state, bool(critical))
            else:
                state.recovered_streak = min(state.recovered_streak + 1, rule.resolve_after)
                if rule.auto_resolve and state.recovered_streak >= rule.resolve_after:
                    resolve.append(
                        AlertChange(
                            AlertKind.threshold,
                            state.alert_id,
                            f"recovered for {state.recovered_streak} evaluation(s)",
                        )
                    )
                    state.alert_id, state.history, state.history_at, state.recovered_streak = None, "", [], 0
                    state.level, state.level_streak = CRITICAL, 0
                    state.last_resolved_at = tick
                    state.last_change_at = tick if rule.flapping is not None else state.last_change_at
        else:
            count = state.history.count(BREACH)
            either = count + state.history.count(WARN)
            if count >= rule.breaches_to_fire:
                state.alert_id = start(AlertKind.threshold, f"{count} of the last {rule.n} evaluations breached")
                state.level, state.level_streak = CRITICAL, 0
            elif either >= rule.breaches_to_fire:
                reason = f"{either} of the last {rule.n} evaluations breached the warning threshold"
                state.alert_id = start(AlertKind.threshold, reason, rule.warning_severity)
                state.level, state.level_streak = WARNING, 0

    settle = _settled(rule, state, tick) if not fire and not resolve else None
    decision = _decided(outcome, state, baseline, tick, fire, resolve, held_back, settle)
    return replace(decision, level=level_change) if level_change else decision


CRITICAL, WARNING = "critical", "warning"


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


def _decided(
    outcome: Outcome,
    state: SeriesState,
    baseline: SeriesState,
    tick: int,
    fire: list[AlertChange],
    resolve: list[AlertChange],
    held_back: str | None,
    settle: AlertChange | None = None,
) -> Decision:
    state.suppressed = held_back
    if state.alert_id is not None:
        state.status = SeriesStatus.firing
    elif state.history or held_back:
        state.status = SeriesStatus.pending
    else:
        state.status = SeriesStatus.ok
    changed = state != baseline
    if changed:
        state.last_tick = tick
    return Decision(
        outcome,
        state if changed else baseline,
        changed=changed,
        fire=tuple(fire),
        resolve=tuple(resolve),
        suppressed=held_back,
        settle=settle,
    )


def counted(state: SeriesState, mark: str, tick: int, rule: Rule) -> tuple[str, list[int]]:
    """The history with this evaluation added: the last N counted evaluations no older than
    N x the evaluation interval (the boundary counts), so evaluations separated by long gaps
    of ignored missing data never combine; leading oks dropped (they cannot start an alert)."""
    known = state.history_at if len(state.history_at) == len(state.history) else [tick] * len(state.history)
    horizon = tick - rule.n * rule.evaluation_interval_seconds
    kept = [(m, t) for m, t in zip(state.history + mark, [*known, tick], strict=True) if t >= horizon][-rule.n :]
    while kept and kept[0][0] == OK:
        kept.pop(0)
    return "".join(m for m, _ in kept), [t for _, t in kept]


def _settled(rule: Rule, state: SeriesState, tick: int) -> AlertChange | None:
    """A flapping series that stayed in one state for the window (or whose rule no longer
    watches for flapping) settles: announced once, where it is now. Updates ``state``."""
    if not state.flapping:
        return None
    quiet_since = state.last_change_at or tick
    if rule.flapping is not None and tick - quiet_since < rule.flapping.within_seconds:
        return None
    alert_id = state.alert_id or state.flap_alert_id
    open_now = state.alert_id is not None
    state.flapping, state.flap_starts, state.flap_alert_id = False, [], None
    if alert_id is None:
        return None
    minutes = (tick - quiet_since) // 60
    return AlertChange(
        AlertKind.threshold,
        alert_id,
        f"settled {'firing' if open_now else 'resolved'}: {minutes} min without a change after flapping",
        AlertEvent.firing if open_now else AlertEvent.resolved,
    )
