"""Alert transitions as pure functions of any alert, whatever its source: (alert, actor, now) →
(next alert, history entry).

Each transition bumps ``version`` and sets ``last_transition``, which is what the notifier reads
from the stream record. What only a rule's evaluation does (start, recover, change severity,
settle) is in ``rule_alerts``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from alerting.errors import Conflict
from alerting.models.alerts import Alert, Resolution, Transition
from alerting.models.common import AlertEvent, AlertStatus
from alerting.models.policies import EscalationPolicySpec
from alerting.models.silences import Silence, alert_labels, silencing

SYSTEM = "system"  # the actor of time-driven transitions (escalation, repeat, lapsed acks)


def advance(
    alert: Alert,
    event: AlertEvent,
    actor: str,
    now: datetime,
    reason: str,
    note: str,
    settled: bool = False,
    **changes: object,
) -> tuple[Alert, Transition]:
    seq = alert.version + 1
    transition = Transition(
        alert_id=alert.alert_id, seq=seq, event=event, at=now, actor=actor, reason=reason, note=note, settled=settled
    )
    updated = alert.model_copy(update={**changes, "version": seq, "updated_at": now, "last_transition": transition})
    return updated, transition


def acknowledge(
    alert: Alert, actor: str, now: datetime, note: str = "", expires_in_seconds: int | None = None
) -> tuple[Alert, Transition]:
    """Stops escalation and repeats; with ``expires_in_seconds`` the acknowledgement lapses
    then (the sweep's `unacknowledged`) if the alert is still open."""
    if alert.status is not AlertStatus.firing:
        raise Conflict(f"alert {alert.alert_id} is {alert.status}; only a firing alert can be acknowledged")
    expires = now + timedelta(seconds=expires_in_seconds) if expires_in_seconds else None
    return advance(
        alert,
        AlertEvent.acknowledged,
        actor,
        now,
        "acknowledged",
        note,
        status=AlertStatus.acknowledged,
        acknowledged_at=now,
        acknowledged_by=actor,
        ack_expires_at=expires,
    )


def unacknowledge(
    alert: Alert, actor: str, now: datetime, note: str = "", reason: str = "unacknowledged"
) -> tuple[Alert, Transition]:
    """Back to firing (by hand, or an acknowledgement that lapsed): escalation starts again at
    level 1 and the repeat interval runs from now."""
    if alert.status is not AlertStatus.acknowledged:
        raise Conflict(f"alert {alert.alert_id} is {alert.status}; only an acknowledged alert can be unacknowledged")
    restart = alert.escalation_policy_id is not None
    return advance(
        alert,
        AlertEvent.unacknowledged,
        actor,
        now,
        reason,
        note,
        status=AlertStatus.firing,
        acknowledged_at=None,
        acknowledged_by=None,
        ack_expires_at=None,
        escalation_level=1 if restart else 0,
        escalation_cycle=0,
        escalated_at=now if restart else None,
        repeated_at=now,
    )


def due_transition(
    alert: Alert, policy: EscalationPolicySpec | None, repeat_interval_seconds: int | None, now: datetime
) -> tuple[Alert, Transition] | None:
    """What time alone does to an open alert at ``now``, if anything: an acknowledgement lapses,
    the next escalation level is due, or a reminder. At most one per call, the most urgent
    first; each moves its own due time past ``now``, so a duplicated or retried sweep finds
    nothing left to do, and a late one catches up one step per sweep."""
    if alert.status is AlertStatus.acknowledged:
        if alert.ack_expires_at is not None and alert.ack_expires_at <= now:
            return unacknowledge(alert, SYSTEM, now, reason="acknowledgement expired")
        return None
    if alert.status is not AlertStatus.firing:
        return None
    if policy is not None and alert.escalated_at is not None and 1 <= alert.escalation_level <= len(policy.levels):
        waited = policy.levels[alert.escalation_level - 1].escalate_after_seconds
        if alert.escalated_at + timedelta(seconds=waited) <= now:
            if alert.escalation_level < len(policy.levels):
                level, cycle = alert.escalation_level + 1, alert.escalation_cycle
            elif alert.escalation_cycle < policy.repeat:
                level, cycle = 1, alert.escalation_cycle + 1
            else:
                level, cycle = 0, 0  # the policy is done
            if level:
                return advance(
                    alert,
                    AlertEvent.escalated,
                    SYSTEM,
                    now,
                    f"unacknowledged for {waited}s at level {alert.escalation_level}",
                    "",
                    escalation_level=level,
                    escalation_cycle=cycle,
                    escalation_reached=max(level, alert.escalation_reached),
                    escalated_at=now,
                )
    if repeat_interval_seconds is not None:
        last = alert.repeated_at or alert.started_at
        if last + timedelta(seconds=repeat_interval_seconds) <= now:
            return advance(
                alert,
                AlertEvent.repeat,
                SYSTEM,
                now,
                f"still firing after {repeat_interval_seconds}s",
                "",
                repeat_count=alert.repeat_count + 1,
                repeated_at=now,
            )
    return None


def resolve(
    alert: Alert, actor: str, now: datetime, *, reason: str, resolution: Resolution, note: str = ""
) -> tuple[Alert, Transition]:
    if not alert.is_open:
        raise Conflict(f"alert {alert.alert_id} is already resolved")
    return advance(
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


SILENCE_END_WINDOW = timedelta(minutes=5)  # a silence end a late or retried tick still catches


def silence_ended(alert: Alert, silences: list[Silence], now: datetime) -> tuple[Alert, Transition] | None:
    """A firing, unacknowledged alert that a silence covered, once that silence has ended (in the
    last five minutes) and no other covers it: its `firing` is announced now, escalation from
    level 1, so a problem that outlives its maintenance window pages someone. Once per silence."""
    if alert.status is not AlertStatus.firing:
        return None
    recent = [
        s for s in silences if s.silence_id not in alert.silences_ended and now - SILENCE_END_WINDOW < s.ends_at <= now
    ]
    # Cheapest test first: the time (a tick with no silence just ended matches nothing), then
    # the silences that just ended, and only then whether another still covers the alert.
    labels = alert_labels(alert)
    for ended in sorted(recent, key=lambda s: (s.ends_at, s.silence_id)):
        overlap = max(alert.started_at, ended.starts_at)
        if overlap < ended.ends_at and ended.covers(alert, overlap, labels):
            if silencing(silences, alert, now) is not None:
                return None
            restart = alert.escalation_policy_id is not None
            return advance(
                alert,
                AlertEvent.firing,
                SYSTEM,
                now,
                f"silence {ended.silence_id} ended",
                "",
                silences_ended=[*alert.silences_ended, ended.silence_id],
                escalation_level=1 if restart else 0,
                escalation_cycle=0,
                escalated_at=now if restart else None,
                repeated_at=now,
            )
    return None
