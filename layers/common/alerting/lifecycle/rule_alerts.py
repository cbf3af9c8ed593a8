"""The transitions only a rule's evaluation makes: an alert started from a series' decision,
recovered, changed in severity, settled after flapping; and the series forgetting its alert.

The alert carries the values of the evaluation, and its annotations are rendered from them.
"""

from __future__ import annotations

from datetime import datetime

from alerting.evaluation import AlertChange
from alerting.lifecycle.signals import Routing, addressed, nobody, opening
from alerting.lifecycle.transitions import advance, resolve
from alerting.models.alerts import (
    Alert,
    AlertKind,
    ConditionValue,
    Resolution,
    SeriesState,
    SeriesStatus,
    Transition,
)
from alerting.models.common import AlertEvent, AlertStatus
from alerting.models.rules import Rule
from alerting.models.silences import alert_labels
from alerting.templating import render_annotations

EVALUATOR = "evaluator"
KIND_SUFFIX = {AlertKind.threshold: "", AlertKind.nodata: " (no data)", AlertKind.error: " (query error)"}


def start_alert(
    rule: Rule,
    state: SeriesState,
    change: AlertChange,
    values: list[ConditionValue],
    now: datetime,
    route: Routing = nobody,
) -> Alert:
    """The alert a series' decision starts: told to the rule's channels and policy, and to those
    its labels route to (``route``: the routes as of the tick)."""
    transition = Transition(
        alert_id=change.alert_id,
        seq=1,
        event=change.event,
        at=now,
        actor=EVALUATOR,
        reason=change.reason,
    )
    alert = Alert(
        alert_id=change.alert_id,
        rule_id=rule.rule_id,
        rule_name=rule.name + KIND_SUFFIX[change.kind],
        kind=change.kind,
        fingerprint=state.fingerprint,
        series=state.series,
        severity=change.severity or rule.severity,
        category=rule.category,
        labels=rule.labels,
        annotations={},
        values=values,
        channels=rule.channels,
        escalation_policy_id=rule.escalation_policy_id,
        flapping=change.quiet,
        **opening(transition),
    )
    annotations = render_annotations(rule.annotations, alert)
    if change.kind is AlertKind.nodata:
        annotations.setdefault("summary", f"{rule.name}: no data ({change.reason})")
    if change.kind is AlertKind.error:
        annotations = {"summary": f"{rule.name}: cannot be evaluated ({change.reason})"}
    return addressed(alert.model_copy(update={"annotations": annotations}), route(alert_labels(alert)))


def recover(
    alert: Alert, rule: Rule, values: list[ConditionValue], now: datetime, *, reason: str
) -> tuple[Alert, Transition]:
    """The evaluator's resolve: the alert carries the values that recovered, and its annotations
    are rendered again with them (a resolved message must not repeat the breach's numbers)."""
    resolved, transition = resolve(alert, EVALUATOR, now, reason=reason, resolution=Resolution.auto)
    return _with_values(resolved, rule, values), transition


def change_severity(
    alert: Alert, rule: Rule, values: list[ConditionValue], change: AlertChange, now: datetime
) -> tuple[Alert, Transition]:
    """An open alert rose to its rule's critical severity or fell back to the warning one: the
    same alert, `severity_changed`, with the values of the evaluation that changed it."""
    assert change.severity is not None
    changed, transition = advance(
        alert, AlertEvent.severity_changed, EVALUATOR, now, change.reason, "", severity=change.severity
    )
    return _with_values(changed, rule, values), transition


def _with_values(alert: Alert, rule: Rule, values: list[ConditionValue]) -> Alert:
    """The alert with this evaluation's values, its annotations rendered again with them."""
    alert = alert.model_copy(update={"values": values})
    if alert.kind is AlertKind.threshold:
        alert = alert.model_copy(update={"annotations": render_annotations(rule.annotations, alert)})
    return alert


def forget_alert(state: SeriesState, alert: Alert, at: int) -> SeriesState:
    """The series after its alert was resolved by hand or by a rule change (``at``, epoch
    seconds): history cleared, so it fires again only after M of N new breaches (and the
    cooldown). Ticks up to ``at`` count as seen: a tick that changed nothing stored nothing, and
    redelivered after this (EventBridge retries within five minutes) it would count its breach
    into the fresh history a second time."""
    seen = {"last_resolved_at": at, "last_tick": max(state.last_tick, at)}
    if alert.kind is AlertKind.nodata:
        return state.model_copy(update={"nodata_alert_id": None, "missing_streak": 0, **seen})
    if alert.kind is AlertKind.error:
        return state.model_copy(update={"error_alert_id": None, "error_streak": 0, **seen})
    return state.model_copy(
        update={
            "alert_id": None,
            "history": "",
            "history_at": [],
            "recovered_streak": 0,
            "status": SeriesStatus.ok,
            **seen,
        }
    )


def settle(alert: Alert, change: AlertChange, now: datetime) -> tuple[Alert, Transition]:
    """A flapping series settled: its latest alert announces where it is (``change.event``:
    `firing` while open, escalation from level 1; else `resolved` once more), and is no longer
    quiet. Its earlier cycles are in the history, recorded but not notified."""
    restart = alert.is_open and alert.escalation_policy_id is not None
    changes: dict[str, object] = {"flapping": False}
    if alert.status is AlertStatus.firing:
        changes |= {
            "escalation_level": 1 if restart else 0,
            "escalation_cycle": 0,
            "escalated_at": now if restart else None,
            "repeated_at": now,
        }
    return advance(alert, change.event, EVALUATOR, now, change.reason, "", settled=True, **changes)
