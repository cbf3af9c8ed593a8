"""Signals from other sources as transitions (pure): a firing signal opens an alert unless one is
open, a resolved signal resolves the open one, and an older or repeated signal changes nothing.

A manual resolve of such an alert ends it; the source's next firing signal opens a new alert.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from alerting.lifecycle.transitions import resolve
from alerting.models.alerts import Alert, Resolution, Transition
from alerting.models.common import EARLIEST, AlertEvent, AlertStatus, epoch
from alerting.models.signals import Latest, Signal, SignalOutcome
from alerting.models.silences import alert_labels


class Receiver(NamedTuple):
    """Who hears an alert: its channels and escalation policy, and when (the windows of the
    routes it matched), as `alerting.routing.Router` finds them."""

    channels: list[str]
    escalation_policy_id: str | None = None
    mute_windows: tuple[str, ...] = ()  # muted while any of these is active
    active_windows: tuple[str, ...] = ()  # muted unless one of these is active


Routing = Callable[[dict[str, str]], Receiver]  # an alert's labels (`alert_labels`) → who hears it


def nobody(labels: dict[str, str]) -> Receiver:
    """No route: the stack's SNS topic, which hears every alert, is the only one told."""
    return Receiver([])


def addressed(alert: Alert, receiver: Receiver) -> Alert:
    """``alert`` as it opens, told also to ``receiver``: its channels after the alert's own, its
    policy where the alert has none (an alert escalates along one policy), its windows."""
    policy = alert.escalation_policy_id or receiver.escalation_policy_id
    return alert.model_copy(
        update={
            "channels": list(dict.fromkeys([*alert.channels, *receiver.channels])),
            "escalation_policy_id": policy,
            "escalation_level": 1 if policy else 0,  # level 1 hears the firing
            "escalation_reached": 1 if policy else 0,
            "escalated_at": alert.started_at if policy else None,
            "mute_windows": list(receiver.mute_windows),
            "active_windows": list(receiver.active_windows),
        }
    )


def opening(transition: Transition) -> dict[str, Any]:
    """What every alert is as it opens, whatever its source: firing since its first transition."""
    return {
        "status": AlertStatus.firing,
        "started_at": transition.at,
        "updated_at": transition.at,
        "last_transition": transition,
    }


def signal_labels(signal: Signal) -> dict[str, str]:
    """What routes match for the alert ``signal`` opens: its labels and identity (`source`,
    `severity`...), as for every alert."""
    return alert_labels(open_alert(signal, Receiver([]), signal.at))


class SignalStep(NamedTuple):
    outcome: SignalOutcome
    latest: Latest | None  # what to remember (None: nothing changes)
    change: tuple[Alert, Transition] | None = None  # the alert to write, at its next version


def step(signal: Signal, latest: Latest | None, current: Alert | None, receiver: Receiver, now: datetime) -> SignalStep:
    """What ``signal`` does, given the source's last state (``latest``) and the alert it opened
    last (``current``, if any)."""
    if latest is not None and signal.at < latest.at:
        if _extends(signal, latest):
            return SignalStep(SignalOutcome.refreshed, latest.model_copy(update={"ends_at": signal.ends_at}))
        return SignalStep(SignalOutcome.stale, None)
    if latest is not None and (signal.at, signal.event_id, signal.firing) == (
        latest.at,
        latest.event_id,
        latest.firing,
    ):
        return SignalStep(SignalOutcome.duplicate, None)
    remembered = Latest(
        origin=signal.origin,
        fingerprint=signal.fingerprint,
        opened=current.alert_id if current else None,
        at=signal.at,
        event_id=signal.event_id,
        firing=signal.firing,
        ends_at=signal.ends_at,
        version=latest.version if latest else 0,
    )
    is_open = current is not None and current.is_open
    if signal.firing and is_open:
        return SignalStep(SignalOutcome.refreshed, remembered)
    if signal.firing:
        alert = open_alert(signal, receiver, now, reopens=current.alert_id if current else None)
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


def _extends(signal: Signal, latest: Latest) -> bool:
    """A firing state already remembered from a later start, said again by another sender with a
    later end (Prometheus in a pair: each dates the firing by its own start): it lasts until then."""
    later = signal.ends_at is not None and latest.ends_at is not None and signal.ends_at > latest.ends_at
    return signal.firing and latest.firing and later


def lapse(latest: Latest | None, current: Alert | None, now: datetime) -> SignalStep:
    """A firing state past its ``ends_at`` that the source did not repeat (Prometheus's `endsAt`,
    as Alertmanager reads it) resolves. The order of the source's word is forgotten (`at` back to
    the earliest date): whichever sender says "firing" next, its alert opens again."""
    if latest is None or not latest.firing or latest.ends_at is None or latest.ends_at > now:
        return SignalStep(SignalOutcome.unchanged, None)
    ended = latest.model_copy(update={"at": EARLIEST, "event_id": "lapsed", "firing": False, "ends_at": None})
    if current is None or not current.is_open:
        return SignalStep(SignalOutcome.unchanged, ended)
    reason = f"not sent again before its end ({current.source.value})"
    return SignalStep(
        SignalOutcome.resolved,
        ended,
        resolve(current, current.source.value, now, reason=reason, resolution=Resolution.auto),
    )


def open_alert(signal: Signal, receiver: Receiver, now: datetime, reopens: str | None = None) -> Alert:
    """``reopens``: the alert the source opened last, resolved by hand; a signal of the same time
    (Prometheus resending the same firing) opens a new alert under an id of its own."""
    fingerprint = signal.fingerprint
    alert_id = f"{signal.source.value[:2]}-{fingerprint[:12]}-{epoch(signal.at)}"
    if alert_id == reopens:
        alert_id += f"-{epoch(now)}"
    transition = Transition(
        alert_id=alert_id, seq=1, event=AlertEvent.firing, at=now, actor=signal.actor, reason=signal.reason
    )
    alert = Alert(
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
        **opening(transition),
    )
    return addressed(alert, receiver)
