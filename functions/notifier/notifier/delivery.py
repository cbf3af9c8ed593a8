"""Deliver one transition to each of its channels, at most once each, recording every attempt.

The pipeline for a (transition, channel): filter → ledger claim → circuit breaker → send with
retries → record. The delivery record (alert log table, ``delivery#<seq>#<channel>``) is both
the audit trail and the idempotency key: a redelivered stream record finds it `delivered`,
`failed` or `suppressed` and sends nothing.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from alerting.channels.base import Message, Receipt, Sender
from alerting.errors import DeliveryError, NotFound
from alerting.models.channels import Channel, ChannelType, DeliveryRecord, DeliveryStatus
from alerting.models.common import epoch, utcnow
from alerting.payload import document
from alerting.repositories.alerts import AlertRepository
from alerting.repositories.breakers import Breaker, BreakerPolicy, BreakerStore
from notifier.transitions import Notice

TOPIC_CHANNEL_ID = "alerts-topic"  # the stack's SNS topic: receives every transition


@dataclass(frozen=True)
class RetryPolicy:
    attempts_per_round: int = 3  # sends within one invocation
    max_rounds: int = 5  # invocations (stream retries) before the delivery is given up
    base_delay: float = 0.5
    max_delay: float = 10.0  # a longer Retry-After ends the round; the stream retries later
    lease_seconds: int = 120  # how long a `sending` claim keeps other invocations away

    def delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before the next try in this round, or None to stop the round."""
        if retry_after is not None:
            return retry_after if retry_after <= self.max_delay else None
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


class DeliveryPending(Exception):
    """At least one channel must be retried: the stream record is reported as failed."""


@dataclass
class Deliverer:
    ledger: AlertRepository
    channel_lookup: Callable[[str], Channel]
    sender_for: Callable[[Channel], Sender]
    breakers: BreakerStore
    park: Callable[[dict[str, Any]], None]  # final failures go to the dead-letter queue
    topic_channel: Channel
    console_url: str = ""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker_policy: BreakerPolicy = field(default_factory=BreakerPolicy)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], datetime] = utcnow

    def deliver_all(self, notice: Notice) -> list[DeliveryRecord]:
        records = [self.deliver(notice, channel) for channel in self.targets(notice)]
        if any(r.status is DeliveryStatus.retrying or r.status is DeliveryStatus.sending for r in records):
            raise DeliveryPending(", ".join(f"{r.channel_id}: {r.status}" for r in records))
        return records

    def targets(self, notice: Notice) -> list[Channel | str]:
        """The topic always, then the rule's channels (ids that no longer exist are kept to record)."""
        targets: list[Channel | str] = [self.topic_channel]
        for channel_id in dict.fromkeys(notice.alert.channels):
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
        if (
            previous is not None
            and previous.status is DeliveryStatus.sending
            and (previous.lease_until or 0) > epoch(now)
        ):
            return previous  # another invocation holds it right now

        breaker = self.breakers.get(channel.channel_id)
        if breaker.is_open(epoch(now)):
            return self._defer(notice, channel, previous, f"circuit open until {breaker.open_until}")

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
            self.ledger.save_delivery(record)
            return record

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
        record = failed.model_copy(update={"status": DeliveryStatus.retrying})
        self.ledger.save_delivery(record)
        return record

    def _defer(self, notice: Notice, channel: Channel, previous: DeliveryRecord | None, reason: str) -> DeliveryRecord:
        """The breaker is open: no send, but a round is used up, so a dead channel still ends."""
        record = self._record(notice, channel, previous, DeliveryStatus.retrying, error=reason)
        if record.rounds >= self.retry.max_rounds:
            return self._settle(record.model_copy(update={"status": DeliveryStatus.failed}), notice)
        self.ledger.save_delivery(record)
        return record

    def _final(
        self, notice: Notice, channel_id: str, channel_type: ChannelType, status: DeliveryStatus, reason: str
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
            created_at=now,
            updated_at=now,
        )
        return self._settle(record, notice) if status is DeliveryStatus.failed else self._save(record)

    def _settle(self, record: DeliveryRecord, notice: Notice) -> DeliveryRecord:
        """A delivery that finally failed: recorded, and parked in the DLQ with its payload."""
        self.ledger.save_delivery(record)
        delivery_id = f"{record.alert_id}:{record.seq}:{record.channel_id}"
        self.park(
            {
                "delivery": record.model_dump(mode="json"),
                "document": document(notice.alert, notice.event, delivery_id),
            }
        )
        return record

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
