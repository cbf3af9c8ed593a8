"""Record: write a delivery's outcome to the ledger, then schedule what follows it.

A final failure is parked in the dead-letter queue with its document before it is recorded (an
invocation that dies in between leaves the claim, and the redelivery parks it again: a duplicate
in the DLQ, never a failure missing from it). What a send did is worth a few tries to record (a
`sending` claim left behind makes a later round send the message again). A delivery still
pending (retrying, or held by a claim) is scheduled on the retry queue for when it is due.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from alerting.models.channels import DeliveryRecord, DeliveryStatus
from alerting.models.common import epoch, utcnow
from alerting.payload import document
from alerting.repositories.alerts import AlertRepository
from alerting.stream import Notice
from notifier.pipeline import PENDING, RetryPolicy, held_until
from notifier.stages.base import Delivery
from notifier.stages.group import FlushScheduler

RoundScheduler = Callable[[Notice, str, int], None]  # (transition, channel_id, delay in seconds)
SENT_OR_GIVEN_UP = (DeliveryStatus.delivered, DeliveryStatus.failed)


@dataclass(frozen=True)
class Record:
    ledger: AlertRepository
    park: Callable[[dict[str, Any]], None]  # final failures, to the dead-letter queue
    schedule_round: RoundScheduler  # a delivery's next round, on the retry queue
    schedule_flush: FlushScheduler  # a group's message, on the retry queue
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], datetime] = utcnow

    def __call__(self, delivery: Delivery) -> DeliveryRecord:
        """The delivery's record, written when it is new, and what follows it scheduled."""
        notice, outcome = delivery.notice, delivery.outcome
        if outcome is not None:
            self._write(outcome, notice)
        result = outcome or delivery.claim or delivery.previous  # new, or the claim, or as found
        assert result is not None, "every delivery ends with a record"
        if result.status in PENDING:
            delay = max(0, held_until(result) - epoch(self.clock()))
            self.schedule_round(notice, result.channel_id, delay)
        if delivery.flush is not None:
            self.schedule_flush(*delivery.flush)
        return result

    def _write(self, record: DeliveryRecord, notice: Notice) -> None:
        if record.status is DeliveryStatus.failed:
            delivery_id = f"{record.alert_id}:{record.seq}:{record.channel_id}"
            self.park(
                {
                    "delivery": record.model_dump(mode="json"),
                    "document": document(notice.alert, notice.event, delivery_id),
                }
            )
        # a throttled table recovers in moments: worth a few tries for what a send did
        attempts = self.retry.save_attempts if record.status in SENT_OR_GIVEN_UP else 1
        for attempt in range(1, attempts + 1):
            try:
                self.ledger.save_delivery(record)
                return
            except Exception:
                if attempt == attempts:
                    raise  # the batch item fails; after the lease, a redelivery sends again
                self.sleep(self.retry.base_delay * 2 ** (attempt - 1))
