"""Claim: dedup against the delivery ledger, then take the (transition, target) for sending.

The ledger record (alert log table, ``delivery#<seq>#<channel>``) is both the audit trail and
the idempotency key: a redelivered stream record finds it settled and sends nothing, and a
`sending` claim (a conditional write) keeps every other invocation away until its lease ends.
Here the target's step is decided (``pipeline.step``); a final outcome that needs no send
(suppressed, filtered, no such channel) is set for the record stage to write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from alerting.models.common import epoch, utcnow
from alerting.repositories.alerts import AlertRepository
from alerting.repositories.breakers import BreakerStore
from notifier.pipeline import SETTLED, Act, RetryPolicy, Step, step
from notifier.records import round_record, settled_record
from notifier.stages.base import Delivery


@dataclass(frozen=True)
class Claim:
    ledger: AlertRepository
    breakers: BreakerStore
    retry: RetryPolicy = field(default_factory=RetryPolicy)  # its lease_seconds
    clock: Callable[[], datetime] = utcnow

    def read_ahead(self, deliveries: list[Delivery]) -> None:
        """A transition's targets: their ledger records (unless routing read them) and the breakers
        of those that may still need a send, in one batched read each instead of one per target."""
        unknown = [d for d in deliveries if not d.known]
        if unknown:
            notice = unknown[0].notice
            found = self.ledger.get_deliveries(notice.alert.alert_id, notice.seq, [d.channel_id for d in unknown])
            for delivery in unknown:
                delivery.previous, delivery.known = found.get(delivery.channel_id), True
        unsettled = [
            d.channel_id
            for d in deliveries
            if d.channel is not None and (d.previous is None or d.previous.status not in SETTLED)
        ]
        breakers = self.breakers.get_many(unsettled) if unsettled else {}
        for delivery in deliveries:
            delivery.breaker = breakers.get(delivery.channel_id)

    def __call__(self, delivery: Delivery) -> Delivery:
        notice, channel = delivery.notice, delivery.channel
        if not delivery.known:  # a round from the retry queue: nothing read in a batch
            delivery.previous = self.ledger.get_delivery(notice.alert.alert_id, notice.seq, delivery.channel_id)
            delivery.known = True
        previous = delivery.previous
        if delivery.breaker is None and channel is not None and (previous is None or previous.status not in SETTLED):
            delivery.breaker = self.breakers.get(delivery.channel_id)  # it may still need a send
        now = self.clock()
        decided = step(notice, channel, previous, delivery.quiet, delivery.breaker, epoch(now), delivery.sent_before)
        delivery.step = decided
        if decided.act is Act.record:
            delivery.outcome = settled_record(notice, delivery.channel_id, channel, decided, now)
        elif decided.act is Act.send:
            assert channel is not None
            claim = round_record(notice, channel.channel_id, channel.type, previous, now)  # `sending`
            delivery.claim = claim.model_copy(update={"lease_until": epoch(now) + self.retry.lease_seconds})
            if not self.ledger.claim_delivery(delivery.claim, previous):
                delivery.step = Step(Act.hold)  # lost the claim race: the other invocation sends
        return delivery
