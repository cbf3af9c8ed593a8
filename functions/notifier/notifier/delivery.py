"""Deliver one transition to each of its channels, at most once each, recording every attempt.

The pipeline for a (transition, channel): filter → ledger claim → circuit breaker → send with
retries → record. The delivery record (alert log table, ``delivery#<seq>#<channel>``) is both
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
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from alerting.channels.base import Message, Receipt, Sender
from alerting.errors import DeliveryError, NotFound
from alerting.lifecycle import audience
from alerting.models.channels import Channel, ChannelType, DeliveryRecord, DeliveryStatus
from alerting.models.common import epoch, utcnow
from alerting.models.policies import EscalationPolicySpec
from alerting.models.silences import Silence, silencing
from alerting.payload import document
from alerting.repositories.alerts import AlertRepository
from alerting.repositories.breakers import Breaker, BreakerPolicy, BreakerStore
from notifier.transitions import Notice, retry_message

TOPIC_CHANNEL_ID = "alerts-topic"  # the stack's SNS topic: receives every transition


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


Schedule = Callable[[Notice, str, int], None]  # (transition, channel_id, delay in seconds)
PENDING = (DeliveryStatus.retrying, DeliveryStatus.sending)


def held_until(record: DeliveryRecord) -> int:
    """When a pending delivery may be tried again: its claim's lease or its next round."""
    due: int | None = record.lease_until if record.status is DeliveryStatus.sending else record.next_attempt_at
    return due or 0


@dataclass
class Deliverer:
    ledger: AlertRepository
    channel_lookup: Callable[[str], Channel]
    sender_for: Callable[[Channel], Sender]
    breakers: BreakerStore
    park: Callable[[dict[str, Any]], None]  # final failures go to the dead-letter queue
    schedule: Schedule  # the next round of a delivery, on the retry queue
    topic_channel: Channel
    policy_lookup: Callable[[str], EscalationPolicySpec | None] = lambda _: None  # None: deleted
    silences: Callable[[], list[Silence]] = list  # the silences not yet expired
    console_url: str = ""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker_policy: BreakerPolicy = field(default_factory=BreakerPolicy)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], datetime] = utcnow

    def deliver_all(self, notice: Notice) -> list[DeliveryRecord]:
        """A transition from the stream: every target, each pending one scheduled for later."""
        return [self._deliver_or_schedule(notice, target) for target in self.targets(notice)]

    def deliver_again(self, notice: Notice, channel_id: str) -> DeliveryRecord:
        """A round from the retry queue."""
        target: Channel | str = self.topic_channel
        if channel_id != self.topic_channel.channel_id:
            try:
                target = self.channel_lookup(channel_id)
            except NotFound:
                target = channel_id
        return self._deliver_or_schedule(notice, target)

    def _deliver_or_schedule(self, notice: Notice, target: Channel | str) -> DeliveryRecord:
        record = self.deliver(notice, target)
        if record.status in PENDING:
            self.schedule(notice, record.channel_id, max(0, held_until(record) - epoch(self.clock())))
        return record

    def targets(self, notice: Notice) -> list[Channel | str]:
        """The topic always, then the transition's audience: the rule's channels and the
        escalation levels it concerns (ids that no longer exist are kept, to record)."""
        policy_id = notice.alert.escalation_policy_id
        policy = self.policy_lookup(policy_id) if policy_id else None
        targets: list[Channel | str] = [self.topic_channel]
        for channel_id in audience(notice.alert, notice.event, policy):
            try:
                targets.append(self.channel_lookup(channel_id))
            except NotFound:
                targets.append(channel_id)
        return targets

    def deliver(self, notice: Notice, target: Channel | str) -> DeliveryRecord:
        now = self.clock()
        channel_id = target if isinstance(target, str) else target.channel_id
        previous = self.ledger.get_delivery(notice.alert.alert_id, notice.seq, channel_id)
        if previous is not None and previous.status in (
            DeliveryStatus.delivered,
            DeliveryStatus.failed,
            DeliveryStatus.suppressed,
        ):
            return previous  # redelivered stream record: already settled
        if previous is None:
            silence = silencing(self.silences(), notice.alert, notice.alert.last_transition.at)
            if silence is not None:  # every target alike, the stack's topic included
                kind = target.type if isinstance(target, Channel) else ChannelType.webhook
                return self._final(
                    notice,
                    channel_id,
                    kind,
                    DeliveryStatus.suppressed,
                    f"silenced by {silence.silence_id}",
                    silence_id=silence.silence_id,
                )
        if isinstance(target, str):
            return self._final(notice, target, ChannelType.webhook, DeliveryStatus.failed, "channel not found")
        channel = target
        if previous is None and not self._wanted(channel, notice):
            return self._final(
                notice,
                channel.channel_id,
                channel.type,
                DeliveryStatus.suppressed,
                "disabled" if not channel.enabled else "filtered out",
            )
        if previous is not None and previous.status in PENDING and held_until(previous) > epoch(now):
            return previous  # held by another invocation, or its next round is not due yet

        breaker = self.breakers.get(channel.channel_id)
        if breaker.is_open(epoch(now)):
            return self._defer(notice, channel, previous, breaker.open_until)

        claim = self._record(
            notice,
            channel,
            previous,
            DeliveryStatus.sending,
            lease_until=epoch(now) + self.retry.lease_seconds,
        )
        if not self.ledger.claim_delivery(claim, previous):
            return claim  # lost the claim race: the other invocation sends
        return self._send(notice, channel, claim, breaker)

    def _wanted(self, channel: Channel, notice: Notice) -> bool:
        alert = notice.alert
        return channel.enabled and channel.filters.accepts(alert.severity, alert.category, notice.event)

    def _send(self, notice: Notice, channel: Channel, claim: DeliveryRecord, breaker: Breaker) -> DeliveryRecord:
        attempts = claim.attempts
        error: DeliveryError | None = None
        sender: Sender | None = None
        try:
            sender = self.sender_for(channel)
        except (DeliveryError, NotFound) as exc:  # misconfigured channel or a secret gone from SSM
            failed = claim.model_copy(
                update={
                    "status": DeliveryStatus.failed,
                    "lease_until": None,
                    "error": f"channel is misconfigured: {exc}",
                    "updated_at": self.clock(),
                }
            )
            return self._settle(failed, notice)
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
                if not exc.retryable:
                    break
                wait = self.retry.delay(attempt, exc.retry_after)
                if attempt == self.retry.attempts_per_round or wait is None:
                    break
                self.sleep(wait)
                continue
            except Exception as exc:  # unclassified (a bug, an SDK surprise): retry later, never keep the claim
                attempts += 1
                error = DeliveryError(f"unexpected {type(exc).__name__}", retryable=True)
                break
            latency = int((time.perf_counter() - started) * 1000)
            if breaker.failures:
                self.breakers.save(Breaker(channel.channel_id))
            record = claim.model_copy(
                update={
                    "status": DeliveryStatus.delivered,
                    "attempts": attempts + 1,
                    "latency_ms": latency,
                    "http_status": receipt.http_status,
                    "provider_message_id": receipt.provider_message_id,
                    "template_error": receipt.template_error,
                    "error": None,
                    "lease_until": None,
                    "updated_at": self.clock(),
                }
            )
            return self._save_outcome(record)

        assert error is not None
        failed = claim.model_copy(
            update={
                "attempts": attempts,
                "error": str(error),
                "http_status": error.status_code,
                "lease_until": None,
                "updated_at": self.clock(),
            }
        )
        if not error.retryable:
            return self._settle(failed.model_copy(update={"status": DeliveryStatus.failed}), notice)
        self.breakers.save(self.breaker_policy.after_failure(breaker, epoch(self.clock())))
        if claim.rounds >= self.retry.max_rounds:
            return self._settle(failed.model_copy(update={"status": DeliveryStatus.failed}), notice)
        wait = self.retry.next_round_in(claim.rounds, error.retry_after)
        record = failed.model_copy(
            update={"status": DeliveryStatus.retrying, "next_attempt_at": epoch(self.clock()) + wait}
        )
        self.ledger.save_delivery(record)
        return record

    def _defer(
        self, notice: Notice, channel: Channel, previous: DeliveryRecord | None, open_until: int
    ) -> DeliveryRecord:
        """The breaker is open: no send until it closes; the round counts, so a dead channel ends."""
        record = self._record(
            notice, channel, previous, DeliveryStatus.retrying, error=f"circuit open until {open_until}"
        )
        record = record.model_copy(update={"next_attempt_at": open_until})
        if record.rounds >= self.retry.max_rounds:
            return self._settle(record.model_copy(update={"status": DeliveryStatus.failed}), notice)
        self.ledger.save_delivery(record)
        return record

    def _final(
        self,
        notice: Notice,
        channel_id: str,
        channel_type: ChannelType,
        status: DeliveryStatus,
        reason: str,
        silence_id: str | None = None,
    ) -> DeliveryRecord:
        now = self.clock()
        record = DeliveryRecord(
            alert_id=notice.alert.alert_id,
            seq=notice.seq,
            channel_id=channel_id,
            channel_type=channel_type,
            event=notice.event,
            status=status,
            error=reason,
            silence_id=silence_id,
            created_at=now,
            updated_at=now,
        )
        return self._settle(record, notice) if status is DeliveryStatus.failed else self._save(record)

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
        self,
        notice: Notice,
        channel: Channel,
        previous: DeliveryRecord | None,
        status: DeliveryStatus,
        *,
        lease_until: int | None = None,
        error: str | None = None,
    ) -> DeliveryRecord:
        now = self.clock()
        return DeliveryRecord(
            alert_id=notice.alert.alert_id,
            seq=notice.seq,
            channel_id=channel.channel_id,
            channel_type=channel.type,
            event=notice.event,
            status=status,
            attempts=previous.attempts if previous else 0,
            rounds=(previous.rounds if previous else 0) + 1,
            created_at=previous.created_at if previous else now,
            updated_at=now,
            lease_until=lease_until,
            error=error,
        )


def sqs_parker(client: Any, queue_url: str) -> Callable[[dict[str, Any]], None]:
    def park(message: dict[str, Any]) -> None:
        client.send_message(QueueUrl=queue_url, MessageBody=json.dumps(message, default=str))

    return park


def sqs_scheduler(client: Any, queue_url: str, max_delay: int = 900) -> Schedule:
    """Rounds wait on the retry queue; a wait beyond SQS's 15 minutes is served in steps
    (a round that arrives early finds `next_attempt_at` ahead and schedules itself again)."""

    def schedule(notice: Notice, channel_id: str, delay: int) -> None:
        client.send_message(
            QueueUrl=queue_url,
            MessageBody=retry_message(notice, channel_id),
            DelaySeconds=min(max_delay, delay),
        )

    return schedule
