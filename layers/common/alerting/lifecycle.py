"""Alert transitions as pure functions: (alert, actor, now) → (next alert, history entry).

The evaluator starts and auto-resolves; the API acknowledges and resolves by hand. Each
transition bumps ``version`` and sets ``last_transition``, which is what the notifier reads
from the stream record.
"""

from __future__ import annotations

from datetime import datetime

from alerting.errors import Conflict
from alerting.evaluation import AlertChange
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
from alerting.templating import render_annotations

EVALUATOR = "evaluator"


def start_alert(
    rule: Rule, state: SeriesState, change: AlertChange, values: list[ConditionValue], now: datetime
) -> Alert:
    transition = Transition(
        alert_id=change.alert_id,
        seq=1,
        event=AlertEvent.firing,
        at=now,
        actor=EVALUATOR,
        reason=change.reason,
    )
    alert = Alert(
        alert_id=change.alert_id,
        rule_id=rule.rule_id,
        rule_name=rule.name if change.kind is AlertKind.threshold else f"{rule.name} (no data)",
        kind=change.kind,
        fingerprint=state.fingerprint,
        series=state.series,
        severity=rule.severity,
        category=rule.category,
        labels=rule.labels,
        annotations={},
        status=AlertStatus.firing,
        values=values,
        channels=rule.channels,
        escalation_policy_id=rule.escalation_policy_id,
        started_at=now,
        updated_at=now,
        last_transition=transition,
    )
    annotations = render_annotations(rule.annotations, alert)
    if change.kind is AlertKind.nodata:
        annotations.setdefault("summary", f"{rule.name}: no data ({change.reason})")
    return alert.model_copy(update={"annotations": annotations})


def _advance(
    alert: Alert, event: AlertEvent, actor: str, now: datetime, reason: str, note: str, **changes: object
) -> tuple[Alert, Transition]:
    seq = alert.version + 1
    transition = Transition(
        alert_id=alert.alert_id, seq=seq, event=event, at=now, actor=actor, reason=reason, note=note
    )
    updated = alert.model_copy(update={**changes, "version": seq, "updated_at": now, "last_transition": transition})
    return updated, transition


def acknowledge(alert: Alert, actor: str, now: datetime, note: str = "") -> tuple[Alert, Transition]:
    if alert.status is not AlertStatus.firing:
        raise Conflict(f"alert {alert.alert_id} is {alert.status}; only a firing alert can be acknowledged")
    return _advance(
        alert,
        AlertEvent.acknowledged,
        actor,
        now,
        "acknowledged",
        note,
        status=AlertStatus.acknowledged,
        acknowledged_at=now,
        acknowledged_by=actor,
    )


def resolve(
    alert: Alert, actor: str, now: datetime, *, reason: str, resolution: Resolution, note: str = ""
) -> tuple[Alert, Transition]:
    if not alert.is_open:
        raise Conflict(f"alert {alert.alert_id} is already resolved")
    return _advance(
        alert,
        AlertEvent.resolved,
        actor,
        now,
        reason,
        note,
        status=AlertStatus.resolved,
        resolved_at=now,
        resolved_by=actor,
        resolution=resolution,
    )


def recover(
    alert: Alert, rule: Rule, values: list[ConditionValue], now: datetime, *, reason: str
) -> tuple[Alert, Transition]:
    """The evaluator's resolve: the alert carries the values that recovered, and its annotations
    are rendered again with them (a resolved message must not repeat the breach's numbers)."""
    resolved, transition = resolve(alert, EVALUATOR, now, reason=reason, resolution=Resolution.auto)
    resolved = resolved.model_copy(update={"values": values})
    if alert.kind is AlertKind.threshold:
        resolved = resolved.model_copy(update={"annotations": render_annotations(rule.annotations, resolved)})
    return resolved, transition


def forget_alert(state: SeriesState, alert: Alert, at: int) -> SeriesState:
    """The series after its alert was resolved by hand or by a rule change (``at``, epoch
    seconds): history cleared, so it fires again only after M of N new breaches (and the
    cooldown). Ticks up to ``at`` count as seen: a tick that changed nothing stored nothing, and
    redelivered after this (EventBridge retries within five minutes) it would count its breach
    into the fresh history a second time."""
    seen = {"last_resolved_at": at, "last_tick": max(state.last_tick, at)}
    if alert.kind is AlertKind.nodata:
        return state.model_copy(update={"nodata_alert_id": None, "missing_streak": 0, **seen})
    return state.model_copy(
        update={"alert_id": None, "history": "", "recovered_streak": 0, "status": SeriesStatus.ok, **seen}
    )
