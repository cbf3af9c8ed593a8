"""What to do with one transition for one target, as pure functions; the stages do the I/O.

Inhibit → silence → mute (a mute window, or a window of the routes the alert matched) → flap
give one verdict per transition (every target is suppressed alike, the stack's topic included),
``audience`` picks the targets, and ``step`` decides per target from the ledger record and the
breaker: keep a settled record, record a final outcome without sending, hold (another
invocation or a later round has it), defer (breaker open), join a group, or send.
``after_failure`` turns a failed round into `retrying` or `failed`, and ``group_retry_in`` a
group's failed message into another round or none.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from alerting.errors import DeliveryError
from alerting.models.alerts import Alert
from alerting.models.channels import Channel, DeliveryRecord, DeliveryStatus
from alerting.models.common import AlertEvent, digest
from alerting.models.inhibitions import Inhibition
from alerting.models.mute_windows import MuteWindow
from alerting.models.policies import EscalationPolicySpec, OnCallLookup
from alerting.models.silences import Silence, alert_labels, silencing
from alerting.repositories.breakers import Breaker
from alerting.stream import Notice

SETTLED = (DeliveryStatus.delivered, DeliveryStatus.failed, DeliveryStatus.suppressed)
PENDING = (DeliveryStatus.retrying, DeliveryStatus.sending)


@dataclass(frozen=True)
class RetryPolicy:
    attempts_per_round: int = 3  # sends within one invocation
    max_rounds: int = 6  # rounds before the delivery is given up
    base_delay: float = 0.5
    max_delay: float = 10.0  # a longer Retry-After ends the round; the next round honours it
    first_backoff: int = 30  # seconds before the second round, doubling after each
    max_backoff: int = 900  # SQS's longest message delay
    lease_seconds: int = 120  # how long a `sending` claim keeps other invocations away
    save_attempts: int = 5  # for the record of a send that happened

    def delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before the next try in this round, or None to stop the round."""
        if retry_after is not None:
            return retry_after if retry_after <= self.max_delay else None
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))

    def next_round_in(self, rounds: int, retry_after: float | None) -> int:
        if retry_after is not None:
            return min(self.max_backoff, math.ceil(retry_after))
        return min(self.max_backoff, self.first_backoff << max(0, rounds - 1))  # doubling


@dataclass(frozen=True)
class Quieting:
    """What can keep a transition quiet; the notifier reads it once per transition (cached)."""

    silences: Sequence[Silence] = ()
    mute_windows: Sequence[MuteWindow] = ()
    inhibitions: Sequence[Inhibition] = ()

    def may_inhibit(self, alert: Alert) -> bool:
        """Whether the open alerts are worth reading: some inhibition targets this alert."""
        return any(i.aims_at(alert) for i in self.inhibitions)


@dataclass(frozen=True)
class Suppression:
    reason: str
    silence_id: str | None = None
    mute_window_id: str | None = None
    inhibited_by: str | None = None
    flapping: bool = False


def suppression(alert: Alert, quieting: Quieting, open_alerts: Sequence[Alert] = ()) -> Suppression | None:
    """Inhibit → silence → mute → flap: the first that holds back this transition, if any. Each
    is judged at the transition's own time, so a late or redelivered record gets the same answer."""
    at = alert.last_transition.at
    for inhibition in quieting.inhibitions:
        source = inhibition.source_of(alert, open_alerts)
        if source is not None:
            return Suppression(f"inhibited by alert {source.alert_id}", inhibited_by=source.alert_id)
    silence = silencing(list(quieting.silences), alert, at)
    if silence is not None:
        return Suppression(f"silenced by {silence.silence_id}", silence_id=silence.silence_id)
    for window in quieting.mute_windows:
        if window.covers(alert, at):
            return Suppression(f"muted by {window.mute_window_id}", mute_window_id=window.mute_window_id)
    routed = route_windows(alert, quieting.mute_windows, at)
    if routed is not None:
        return routed
    if alert.flapping and alert.last_transition.event is not AlertEvent.flapping:
        return Suppression("flapping: recorded, announced once it settles", flapping=True)
    return None


def route_windows(alert: Alert, windows: Sequence[MuteWindow], at: datetime) -> Suppression | None:
    """The windows of the routes ``alert`` matched as it opened (the routes' matchers chose the
    alert, so only the time counts): muted while one of its `mute_windows` is active and, with
    `active_windows`, unless one of those is. A disabled or deleted window counts as not there:
    with none of its active windows left, nothing is held back (paged rather than lost)."""
    enabled = {w.mute_window_id: w for w in windows if w.enabled}
    for window in (enabled[w] for w in alert.mute_windows if w in enabled):
        if window.active(at):
            return Suppression(f"muted by {window.mute_window_id} (its route's)", mute_window_id=window.mute_window_id)
    active = [enabled[w] for w in alert.active_windows if w in enabled]
    if active and not any(w.active(at) for w in active):
        names = ", ".join(w.mute_window_id for w in active)
        return Suppression(f"outside its route's active windows ({names})", mute_window_id=active[0].mute_window_id)
    return None


def audience(
    alert: Alert,
    event: AlertEvent,
    policy: EscalationPolicySpec | None,
    on_call: OnCallLookup,
    notified: Sequence[str] = (),
) -> list[str]:
    """The channels that hear ``event`` of ``alert`` (the stack's topic hears everything): the
    firing goes to the rule's channels and level 1, an escalation to its level alone (schedules
    resolved to whoever is on call now), a reminder to the rule's channels, and everything else
    to the channels that heard of the alert before (``notified``: its earlier deliveries that
    were not held back, so a schedule's participant of then hears the acknowledgement, not
    today's, and nobody hears the resolution of an alert they never heard of). Where a flapping
    series settled is announced to the rule's channels and the levels reached."""
    if event is AlertEvent.escalated:
        level = alert.escalation_level
        return policy.levels[level - 1].channels(on_call) if policy and 1 <= level <= len(policy.levels) else []
    if event is AlertEvent.repeat:
        return list(alert.channels)
    if event is AlertEvent.firing or event is AlertEvent.flapping:
        first = policy.levels[0].channels(on_call) if policy and alert.escalation_level else []
        return list(dict.fromkeys([*alert.channels, *first]))
    if alert.last_transition.settled or event is AlertEvent.severity_changed:
        # a rise to critical may reach a `min_severity: critical` channel for the first time
        fixed = policy.channels_through(alert.escalation_reached) if policy else []
        return list(dict.fromkeys([*alert.channels, *fixed, *notified]))
    return list(dict.fromkeys(notified))


class Act(Enum):
    keep = "keep"  # settled already (a redelivered stream record): nothing to do
    record = "record"  # a final outcome without a send (suppressed, filtered, no such channel)
    hold = "hold"  # another invocation holds the claim, or the next round is not due
    defer = "defer"  # the channel's breaker is open: the round waits for it to close
    group = "group"  # the channel groups: the transition joins its group's next message
    send = "send"


@dataclass(frozen=True)
class Step:
    act: Act
    status: DeliveryStatus | None = None  # of a `record`
    reason: str = ""
    suppression: Suppression | None = field(default=None)


GROUP_GRACE = 900  # a `grouped` transition whose group message never came is sent alone after this


def group_key(channel: Channel, alert: Alert) -> tuple[str, dict[str, str]]:
    """The alert's group on the channel: a short key of its `group_by` labels, and those it
    carries (one it lacks, or holds empty, is left out, as Alertmanager's group labels; it reads
    as "" in the key, so alerts lacking it share a group)."""
    labels = alert_labels(alert)
    chosen = {name: labels.get(name, "") for name in channel.group_by or []}
    return digest(chosen, 16), {name: value for name, value in chosen.items() if value}


URGENCY = {AlertEvent.escalated: 0, AlertEvent.firing: 1, AlertEvent.severity_changed: 2, AlertEvent.flapping: 3}


def group_order(alerts: Sequence[Alert]) -> list[Alert]:
    """Most urgent first: announcements, then by severity, then what follows (acks, resolves)."""
    return sorted(
        alerts,
        key=lambda a: (
            URGENCY.get(a.last_transition.event, 9),
            -a.severity.rank,
            a.rule_name,
            sorted(a.series.items()),
        ),
    )


def held_until(record: DeliveryRecord) -> int:
    """When a pending delivery may be tried again: its claim's lease or its next round."""
    due: int | None = record.lease_until if record.status is DeliveryStatus.sending else record.next_attempt_at
    return due or 0


def step(
    notice: Notice,
    channel: Channel | None,
    previous: DeliveryRecord | None,
    quiet: Suppression | None,
    breaker: Breaker | None,
    now: int,
    sent_before: bool = False,
) -> Step:
    """What to do for one target (``channel`` None: the id names no channel) at ``now``.
    ``sent_before``: the channel was sent an earlier transition of this alert, so its severity
    and category filters no longer apply (it hears the alert through to the end, a fall back to
    warning included); its `events` filter always does."""
    if previous is not None and previous.status in SETTLED:
        return Step(Act.keep)
    if previous is None and quiet is not None:
        return Step(Act.record, DeliveryStatus.suppressed, quiet.reason, quiet)
    if channel is None:
        return Step(Act.record, DeliveryStatus.failed, "channel not found")
    if previous is None and not channel.enabled:
        return Step(Act.record, DeliveryStatus.suppressed, "disabled")
    alert, filters = notice.alert, channel.filters
    wanted = (
        filters.admits(notice.event) if sent_before else filters.accepts(alert.severity, alert.category, notice.event)
    )
    if previous is None and not wanted:
        return Step(Act.record, DeliveryStatus.suppressed, "filtered out")
    if previous is None and channel.group_by is not None:
        return Step(Act.group)
    if previous is not None and held_until(previous) > now:
        return Step(Act.hold)  # a `grouped` record past its grace is sent on its own
    if breaker is not None and breaker.is_open(now):
        return Step(Act.defer, reason=f"circuit open until {breaker.open_until}")
    return Step(Act.send)


def after_failure(claim: DeliveryRecord, error: DeliveryError, retry: RetryPolicy, now: int) -> DeliveryRecord:
    """A round that ended without a send: `failed` when no retry can help or the rounds are
    spent, else `retrying` with the time of the next round."""
    if not error.retryable or claim.rounds >= retry.max_rounds:
        return claim.model_copy(update={"status": DeliveryStatus.failed, "next_attempt_at": None})
    wait = retry.next_round_in(claim.rounds, error.retry_after)
    return claim.model_copy(update={"status": DeliveryStatus.retrying, "next_attempt_at": now + wait})


def group_retry_in(rounds: int, error: DeliveryError, retry: RetryPolicy) -> int | None:
    """Seconds until a group's failed message (after ``rounds`` earlier rounds) is tried again,
    or None: no retry can help, or the rounds are spent, and its members are given up."""
    if not error.retryable or rounds + 1 >= retry.max_rounds:
        return None
    return retry.next_round_in(rounds + 1, error.retry_after)
