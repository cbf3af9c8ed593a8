"""The notifier's stages in order, after Alertmanager's notify pipeline:

    route → quiet → claim → group → send → record

A transition from the stream is routed to its targets and quieted once; then each target passes
claim → group → send → record in turn (one target's send is recorded before the next is
claimed). A delivery's next round from the retry queue enters with its one target; a group's
message, when due, is gathered from its members and passes send → record.
"""

from __future__ import annotations

from dataclasses import dataclass

from alerting.models.channels import DeliveryRecord
from alerting.stream import Notice
from notifier.pipeline import Act
from notifier.stages.base import Delivery
from notifier.stages.claim import Claim
from notifier.stages.group import Group
from notifier.stages.quiet import Quiet
from notifier.stages.record import Record
from notifier.stages.route import Route
from notifier.stages.send import Send
from notifier.transitions import Flush


@dataclass(frozen=True)
class Notifier:
    route: Route
    quiet: Quiet
    claim: Claim
    group: Group
    send: Send
    record: Record

    def transition(self, notice: Notice) -> list[DeliveryRecord]:
        """A transition from the stream: every target (pending ones scheduled for later)."""
        deliveries = self.quiet(self.route(notice))
        self.claim.read_ahead(deliveries)
        return [self._through(delivery) for delivery in deliveries]

    def retry(self, notice: Notice, channel_id: str) -> DeliveryRecord:
        """A delivery's next round, from the retry queue."""
        (delivery,) = self.quiet([self.route.one(notice, channel_id)])
        return self._through(delivery)

    def flush(self, flush: Flush) -> list[DeliveryRecord]:
        """A group's message, from the retry queue: one send, every member's record."""
        batch = self.group.gather(flush)
        if batch is None:
            return []
        self.send.group(batch)
        if batch.again is not None:  # scheduled before the members are recorded: they travel with it
            self.group.schedule_flush(*batch.again)
        return [self.record(delivery) for delivery in batch.deliveries]

    def _through(self, delivery: Delivery) -> DeliveryRecord:
        """One target: the claim decides its step; group or send acts on it; record writes it."""
        delivery = self.claim(delivery)
        act = delivery.step.act if delivery.step else None
        if act is Act.group:
            delivery = self.group(delivery)
        elif act is Act.send or act is Act.defer:
            delivery = self.send(delivery)
        return self.record(delivery)
