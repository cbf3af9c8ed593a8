"""Whether a tick breaches a rule, and the M-of-N history that starts its alert. Pure.

Each condition's value is compared with its threshold (while an alert is open, recovered only
past its `resolve_threshold`); a missing value counts as the rule's `treat_missing_data` says;
the conditions combine by `match`, unknown ones counting only when the known ones cannot decide.
A rule with a warning threshold is judged at both levels. The history keeps the last N counted
verdicts (`counted`); M breaches among them start an alert.
"""

from __future__ import annotations

from collections.abc import Sequence

from alerting.models.alerts import SeriesState
from alerting.models.conditions import Condition, Operator
from alerting.models.rules import Match, MissingData, Rule

BREACH, WARN, OK = "B", "W", "."  # a breach (of the critical level), of the warning level only, none
CRITICAL, WARNING = "critical", "warning"  # the level an open alert is at


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


def condition_outcome(condition: Condition, value: float | None, policy: MissingData, alert_open: bool) -> bool | None:
    """True breach, False ok, None unknown (missing under ignore/alert)."""
    if value is None:
        if policy is MissingData.breaching:
            return True
        if policy is MissingData.not_breaching:
            return False
        return None
    if alert_open:
        return still_breaching(condition, value)
    return compare(condition, value)


def combine(match: Match, outcomes: Sequence[bool | None]) -> bool | None:
    """Unknown conditions count only when the known ones cannot decide on their own."""
    if match is Match.all:
        if any(o is False for o in outcomes):
            return False
        return None if any(o is None for o in outcomes) else True
    if any(o is True for o in outcomes):
        return True
    return None if any(o is None for o in outcomes) else False


def verdict(rule: Rule, values: Sequence[float | None], state: SeriesState) -> tuple[bool | None, bool | None]:
    """(critical, breached): whether the tick breaches the critical level, and whether it breaches
    at least the warning level (None: missing data leaves it undecided). Hysteresis holds an open
    alert at the level it is at."""
    alert_open = state.alert_id is not None
    critical_open = alert_open and state.level == CRITICAL
    critical = combine(
        rule.match,
        [
            condition_outcome(c, v, rule.treat_missing_data, critical_open)
            for c, v in zip(rule.conditions, values, strict=True)
        ],
    )
    if not rule.has_warning:
        return critical, critical
    warned = combine(
        rule.match,
        [
            condition_outcome(c.at_warning(), v, rule.treat_missing_data, alert_open)
            for c, v in zip(rule.conditions, values, strict=True)
        ],
    )
    return critical, True if critical else warned


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
