"""Deliver one transition to each of its targets, at most once each, recording every attempt.

``pipeline`` decides (suppression, routing, the step per target, the outcome of a failure);
this module does the I/O around it: read the ledger record and the breaker, claim, send with
retries, record. The delivery record (alert log table, ``delivery#<seq>#<channel>``) is both
the audit trail and the idempotency key: a redelivered stream record finds it `delivered`,
`failed` or `suppressed` and sends nothing.

A round is one invocation's tries (3, with jittered backoff). A round that ends `retrying` is
scheduled on the delivery retry queue with a delay (30 s doubling to 15 min, a longer
`Retry-After`, or until an open breaker closes), so the stream moves on and a failing channel
is not hammered; after 6 rounds the delivery is given up: recorded `failed` and parked in the
dead-letter queue with its document.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from alerting.channels.base import Message, Receipt, Sender
from alerting.errors import DeliveryError, NotFound
from alerting.models.alerts import Alert
from alerting.models.channels import Channel, ChannelType, DeliveryRecord, DeliveryStatus
from alerting.models.common import AlertEvent, epoch, utcnow
from alerting.models.policies import EscalationPolicySpec
from alerting.models.schedules import Schedule
from alerting.payload import document
from alerting.repositories.alerts import AlertRepository
from alerting.repositories.breakers import Breaker, BreakerPolicy, BreakerStore
from alerting.repositories.groups import GroupStore
from alerting.stream import Notice
from notifier.grouping import FlushScheduler, GroupDelivery
from notifier.pipeline import (
    PENDING,
    SETTLED,
    Act,
    Quieting,
    RetryPolicy,
    Suppression,
    after_failure,
    audience,
    held_until,
    step,
    suppression,
)
from notifier.transitions import Flush, flush_message, retry_message

TOPIC_CHANNEL_ID = "alerts-topic"  # the stack's SNS topic: hears every alert that is announced
# Transitions that announce an alert to whoever they concern; the others follow the ledger.
ANNOUNCEMENTS = (AlertEvent.firing, AlertEvent.flapping, AlertEvent.escalated, AlertEvent.repeat)
RoundScheduler = Callable[[Notice, str, int], None]  # (transition, channel_id, delay in seconds)
__all__ = ["TOPIC_CHANNEL_ID", "Deliverer", "RetryPolicy", "sqs_parker", "sqs_scheduler"]


def _none(_: str) -> None:
    return None


@dataclass
class Deliverer(GroupDelivery):
    ledger: AlertRepository
    channel_lookup: Callable[[str], Channel]
    sender_for: Callable[[Channel], Sender]
    breakers: BreakerStore
    park: Callable[[dict[str, Any]], None]  # final failures go to the dead-letter queue
    schedule: RoundScheduler  # the next round of a delivery, on the retry queue
    topic_channel: Channel
    # The transition's channels in one read (a BatchGetItem); None: one lookup per channel.
    channels_lookup: Callable[[list[str]], dict[str, Channel]] | None = None
    policy_lookup: Callable[[str], EscalationPolicySpec | None] = _none  # None: deleted
    schedule_lookup: Callable[[str], Schedule | None] = _none
    quieting: Callable[[], Quieting] = Quieting  # silences, mute windows, inhibitions (cached)
    open_alerts: Callable[[], Sequence[Alert]] = tuple  # read only when an inhibition may apply
    groups: GroupStore | None = None  # channels with `group_by`: members waiting for their message
    schedule_flush: FlushScheduler = lambda flush, delay: None  # a group's message, on the retry queue
    console_url: str = ""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker_policy: BreakerPolicy = field(default_factory=BreakerPolicy)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], datetime] = utcnow

    def deliver_all(self, notice: Notice) -> list[DeliveryRecord]:
        """A transition from the stream: every target, each pending one scheduled for later."""
        quiet = self.suppression(notice)
        targets, sent, read = self.targets(notice)
        ids = [t.channel_id if isinstance(t, Channel) else t for t in targets]
        # One read for every target's ledger record (unless routing read them already), one for
        # the breakers still needed.
        previous = read if read is not None else self.ledger.get_deliveries(notice.alert.alert_id, notice.seq, ids)
        unsettled = [t.channel_id for t in targets if isinstance(t, Channel) and _unsettled(previous.get(t.channel_id))]
        breakers = self.breakers.get_many(unsettled) if unsettled else {}
        return [
            self._deliver_or_schedule(notice, t, quiet, sent, Known(previous.get(i), breakers.get(i)))
            for t, i in zip(targets, ids, strict=True)
        ]

    def deliver_again(self, notice: Notice, channel_id: str) -> DeliveryRecord:
        """A round from the retry queue."""
        target: Channel | str = self.topic_channel
        if channel_id != self.topic_channel.channel_id:
            try:
                target = self.channel_lookup(channel_id)
            except NotFound:
                target = channel_id
        return self._deliver_or_schedule(notice, target, self.suppression(notice), frozenset())

    def suppression(self, notice: Notice) -> Suppression | None:
        quieting = self.quieting()
        alert = notice.alert
        return suppression(alert, quieting, self.open_alerts() if quieting.may_inhibit(alert) else ())

    def targets(self, notice: Notice) -> tuple[list[Channel | str], frozenset[str], dict[str, DeliveryRecord] | None]:
        """The topic (when it hears this), then the transition's audience (ids that no longer
        exist are kept, to record); the channels sent an earlier transition of the alert; and
        this transition's own records, when routing had to read the alert's ledger anyway."""
        alert = notice.alert
        policy = self.policy_lookup(alert.escalation_policy_id) if alert.escalation_policy_id else None
        at = alert.last_transition.at

        def on_call(schedule_id: str) -> str | None:
            schedule = self.schedule_lookup(schedule_id)
            return schedule.on_call(at).participant if schedule else None

        notified: list[str] = []
        sent: frozenset[str] = frozenset()
        read: dict[str, DeliveryRecord] | None = None
        announcing = notice.event in ANNOUNCEMENTS or alert.last_transition.settled
        if not announcing:
            ledger = self.ledger.deliveries(alert.alert_id)  # consistent: the claims' baseline too
            earlier = [d for d in ledger if d.seq < notice.seq]
            notified = [d.channel_id for d in earlier if d.heard]
            sent = frozenset(d.channel_id for d in earlier if d.sent)
            read = {d.channel_id: d for d in ledger if d.seq == notice.seq}
        # The topic hears every announcement, and what follows one it heard (like any channel).
        heard = announcing or self.topic_channel.channel_id in notified
        targets: list[Channel | str] = [self.topic_channel] if heard else []
        wanted = [
            c for c in audience(alert, notice.event, policy, on_call, notified) if c != self.topic_channel.channel_id
        ]
        found = self.channels_lookup(wanted) if self.channels_lookup is not None else self._one_by_one(wanted)
        targets += [found.get(channel_id, channel_id) for channel_id in wanted]
        return targets, sent, read

    def _one_by_one(self, channel_ids: list[str]) -> dict[str, Channel]:
        found: dict[str, Channel] = {}
        for channel_id in channel_ids:
            try:
                found[channel_id] = self.channel_lookup(channel_id)
            except NotFound:
                continue  # kept as its id, to record "channel not found"
        return found

    def _deliver_or_schedule(
        self,
        notice: Notice,
        target: Channel | str,
        quiet: Suppression | None,
        sent: frozenset[str],
        known: Known | None = None,
    ) -> DeliveryRecord:
        record = self.deliver(notice, target, quiet, sent, known)
        if record.status in PENDING:
            self.schedule(notice, record.channel_id, max(0, held_until(record) - epoch(self.clock())))
        return record

    def deliver(
        self,
        notice: Notice,
        target: Channel | str,
        quiet: Suppression | None = None,
        sent: frozenset[str] = frozenset(),
        known: Known | None = None,
    ) -> DeliveryRecord:
        """``known``: the ledger record and breaker already read for this target (in a batch)."""
        now = epoch(self.clock())
        channel = target if isinstance(target, Channel) else None
        channel_id = channel.channel_id if channel else str(target)
        if known is None:
            previous = self.ledger.get_delivery(notice.alert.alert_id, notice.seq, channel_id)
            breaker = self.breakers.get(channel_id) if channel is not None and _unsettled(previous) else None
        else:
            previous, breaker = known.previous, known.breaker
            if breaker is None and channel is not None and _unsettled(previous):
                breaker = self.breakers.get(channel_id)
        decided = step(notice, channel, previous, quiet, breaker, now, channel_id in sent)
        if decided.act is Act.keep or decided.act is Act.hold:
            assert previous is not None
            return previous
        if decided.act is Act.record:
            assert decided.status is not None
            record = self._record(notice, channel_id, channel.type if channel else ChannelType.webhook, None)
            record = record.model_copy(update={"status": decided.status, "error": decided.reason, "rounds": 0})
            if decided.suppression is not None:
                record = record.model_copy(
                    update={
                        "silence_id": decided.suppression.silence_id,
                        "mute_window_id": decided.suppression.mute_window_id,
                        "inhibited_by": decided.suppression.inhibited_by,
                        "flapping": decided.suppression.flapping,
                    }
                )
            return self._settle(record, notice) if decided.status is DeliveryStatus.failed else self._save(record)
        assert channel is not None and breaker is not None
        if decided.act is Act.group:
            return self._join(notice, channel, now)
        if decided.act is Act.defer:  # the round counts, so a dead channel ends
            deferred = self._record(notice, channel_id, channel.type, previous).model_copy(
                update={
                    "status": DeliveryStatus.retrying,
                    "error": decided.reason,
                    "next_attempt_at": breaker.open_until,
                }
            )
            if deferred.rounds >= self.retry.max_rounds:
                return self._settle(deferred.model_copy(update={"status": DeliveryStatus.failed}), notice)
            return self._save(deferred)
        claim = self._record(notice, channel_id, channel.type, previous).model_copy(
            update={"status": DeliveryStatus.sending, "lease_until": now + self.retry.lease_seconds}
        )
        if not self.ledger.claim_delivery(claim, previous):
            return claim  # lost the claim race: the other invocation sends
        return self._send(notice, channel, claim, breaker)

    def _send(self, notice: Notice, channel: Channel, claim: DeliveryRecord, breaker: Breaker) -> DeliveryRecord:
        attempts = claim.attempts
        error: DeliveryError | None = None
        sender: Sender | None = None
        try:
            sender = self.sender_for(channel)
        except (DeliveryError, NotFound) as exc:  # misconfigured channel or a secret gone from SSM
            error = DeliveryError(f"channel is misconfigured: {exc}", retryable=False)
        except Exception as exc:  # SSM throttled or unreachable: a later round tries again
            error = DeliveryError(f"channel could not be prepared: {type(exc).__name__}", retryable=True)
        message = Message(
            alert=notice.alert,
            event=notice.event,
            seq=notice.seq,
            delivery_id=f"{notice.alert.alert_id}:{notice.seq}:{channel.channel_id}",
            template=channel.template,
            console_url=self.console_url,
        )
        for attempt in range(1, self.retry.attempts_per_round + 1):
            if sender is None:
                break
            started = time.perf_counter()
            try:
                receipt: Receipt = sender.send(message)
            except DeliveryError as exc:
                attempts += 1
                error = exc
                wait = self.retry.delay(attempt, exc.retry_after) if exc.retryable else None
                if attempt == self.retry.attempts_per_round or wait is None:
                    break
                self.sleep(wait)
                continue
            except Exception as exc:  # unclassified (a bug, an SDK surprise): retry later, never keep the claim
                attempts += 1
                error = DeliveryError(f"unexpected {type(exc).__name__}", retryable=True)
                break
            if breaker.failures:
                self.breakers.save(Breaker(channel.channel_id))
            delivered = claim.model_copy(
                update={
                    "status": DeliveryStatus.delivered,
                    "attempts": attempts + 1,
                    "latency_ms": int((time.perf_counter() - started) * 1000),
                    "http_status": receipt.http_status,
                    "provider_message_id": receipt.provider_message_id,
                    "template_error": receipt.template_error,
                    "error": None,
                    "lease_until": None,
                    "updated_at": self.clock(),
                }
            )
            return self._save_outcome(delivered)

        assert error is not None
        now = epoch(self.clock())
        if error.retryable:
            self.breakers.save(self.breaker_policy.after_failure(breaker, now))
        tried = claim.model_copy(
            update={
                "attempts": attempts,
                "error": str(error),
                "http_status": error.status_code,
                "lease_until": None,
                "updated_at": self.clock(),
            }
        )
        outcome = after_failure(tried, error, self.retry, now)
        if outcome.status is DeliveryStatus.failed:
            return self._settle(outcome, notice)
        return self._save(outcome)

    def _settle(self, record: DeliveryRecord, notice: Notice) -> DeliveryRecord:
        """A delivery that finally failed: parked in the DLQ with its payload, then recorded.
        In that order: an invocation that dies in between leaves the claim, and the redelivery
        parks it again (a duplicate in the DLQ, never a failure missing from it)."""
        delivery_id = f"{record.alert_id}:{record.seq}:{record.channel_id}"
        self.park(
            {
                "delivery": record.model_dump(mode="json"),
                "document": document(notice.alert, notice.event, delivery_id),
            }
        )
        return self._save_outcome(record)

    def _save_outcome(self, record: DeliveryRecord) -> DeliveryRecord:
        """Record what a send did. Worth a few tries (a throttled table recovers in moments):
        a `sending` claim left behind makes a later round send the message again."""
        for attempt in range(1, self.retry.save_attempts + 1):
            try:
                self.ledger.save_delivery(record)
                return record
            except Exception:
                if attempt == self.retry.save_attempts:
                    raise  # the batch item fails; after the lease, a redelivery sends again
                self.sleep(self.retry.base_delay * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    def _save(self, record: DeliveryRecord) -> DeliveryRecord:
        self.ledger.save_delivery(record)
        return record

    def _record(
        self, notice: Notice, channel_id: str, channel_type: ChannelType, previous: DeliveryRecord | None
    ) -> DeliveryRecord:
        """This round's record of the (transition, channel), carried on from the previous one."""
        now = self.clock()
        return DeliveryRecord(
            alert_id=notice.alert.alert_id,
            seq=notice.seq,
            channel_id=channel_id,
            channel_type=channel_type,
            event=notice.event,
            status=DeliveryStatus.sending,
            attempts=previous.attempts if previous else 0,
            rounds=(previous.rounds if previous else 0) + 1,
            created_at=previous.created_at if previous else now,
            updated_at=now,
        )


@dataclass(frozen=True)
class Known:
    """What was read in a batch for one target: its ledger record and its breaker."""

    previous: DeliveryRecord | None
    breaker: Breaker | None


def _unsettled(record: DeliveryRecord | None) -> bool:
    """A target that may still need a send (and so its breaker)."""
    return record is None or record.status not in SETTLED


def sqs_parker(client: Any, queue_url: str) -> Callable[[dict[str, Any]], None]:
    def park(message: dict[str, Any]) -> None:
        client.send_message(QueueUrl=queue_url, MessageBody=json.dumps(message, default=str))

    return park


def sqs_scheduler(client: Any, queue_url: str, max_delay: int = 900) -> RoundScheduler:
    """Rounds wait on the retry queue; a wait beyond SQS's 15 minutes is served in steps
    (a round that arrives early finds `next_attempt_at` ahead and schedules itself again)."""

    def schedule(notice: Notice, channel_id: str, delay: int) -> None:
        client.send_message(
            QueueUrl=queue_url,
            MessageBody=retry_message(notice, channel_id),
            DelaySeconds=min(max_delay, delay),
        )

    return schedule


def sqs_flusher(client: Any, queue_url: str, max_delay: int = 900) -> FlushScheduler:
    """A group's message waits on the retry queue too (a longer wait is served in steps: an early
    flush finds the group not due and schedules itself again)."""

    def schedule(flush: Flush, delay: int) -> None:
        client.send_message(QueueUrl=queue_url, MessageBody=flush_message(flush), DelaySeconds=min(max_delay, delay))

    return schedule
