"""Signals from other sources as transitions (pure): a firing signal opens an alert unless one is
open, a resolved signal resolves the open one, and an older or repeated signal changes nothing.

A manual resolve of such an alert ends it; the source's next firing signal opens a new alert.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from alerting.lifecycle.transitions import resolve
from alerting.models.alerts import Alert, Resolution, Transition
from alerting.models.common import AlertEvent, AlertStatus, epoch
from alerting.models.signals import Latest, Signal, SignalOutcome


class Receiver(NamedTuple):
    """Who hears an alert: its channels and escalation policy (from the routes it matched)."""

    channels: list[str]
    escalation_policy_id: str | None = None


class SignalStep(NamedTuple):
    outcome: SignalOutcome
    latest: Latest | None  # what to remember (None: nothing changes)
    change: tuple[Alert, Transition] | None = None  # the alert to write, at its next version


def step(signal: Signal, latest: Latest | None, current: Alert | None, receiver: Receiver, now: datetime) -> SignalStep:
    """What ``signal`` does, given the source's last state (``latest``) and the alert it opened
    last (``current``, if any)."""
    if latest is not None and signal.at < latest.at:
        return SignalStep(SignalOutcome.stale, None)
    if latest is not None and (signal.at, signal.event_id, signal.firing) == (
        latest.at,
        latest.event_id,
        latest.firing,
    ):  # noqa: E501
        return SignalStep(SignalOutcome.duplicate, None)
    remembered = Latest(
        origin=signal.origin,
        fingerprint=signal.fingerprint,
        opened=current.alert_id if current else None,
        at=signal.at,
        event_id=signal.event_id,
        firing=signal.firing,
        version=latest.version if latest else 0,
    )
    is_open = current is not None and current.is_open
    if signal.firing and is_open:
        return SignalStep(SignalOutcome.refreshed, remembered)
    if signal.firing:
        alert = open_alert(signal, receiver, now)
        remembered = remembered.model_copy(update={"opened": alert.alert_id})
        return SignalStep(SignalOutcome.opened, remembered, (alert, alert.last_transition))
    if is_open:
        assert current is not None
        reason = signal.reason or f"resolved at the source ({signal.source.value})"
        return SignalStep(
            SignalOutcome.resolved,
            remembered,
            resolve(current, signal.actor, now, reason=reason, resolution=Resolution.auto),
        )
    return SignalStep(SignalOutcome.unchanged, remembered)


def open_alert(signal: Signal, receiver: Receiver, now: datetime) -> Alert:
    fingerprint = signal.fingerprint
    alert_id = f"{signal.source.value[:2]}-{fingerprint[:12]}-{epoch(signal.at)}"
    transition = Transition(
        alert_id=alert_id, seq=1, event=AlertEvent.firing, at=now, actor=signal.actor, reason=signal.reason
    )
    policy = receiver.escalation_policy_id
    return Alert(
        alert_id=alert_id,
        rule_id=signal.origin,
        rule_name=signal.name,
        source=signal.source,
        source_url=signal.source_url,
        fingerprint=fingerprint,
        severity=signal.severity,
        category=signal.category,
        labels=signal.labels,
        annotations=signal.annotations,
        status=AlertStatus.firing,
        channels=receiver.channels,
        escalation_policy_id=policy,
        escalation_level=1 if policy else 0,  # level 1 hears the firing
        escalation_reached=1 if policy else 0,
        escalated_at=now if policy else None,
        started_at=now,
        updated_at=now,
        last_transition=transition,
    )
