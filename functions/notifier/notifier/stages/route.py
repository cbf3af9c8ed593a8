"""Route: who hears a transition. The stack's topic when it hears this, then the transition's
audience (the rule's channels, escalation levels with schedules resolved to whoever is on call,
or whoever heard of the alert before); ids that name no channel are kept, to record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from alerting.errors import NotFound
from alerting.models.channels import Channel, DeliveryRecord
from alerting.models.common import AlertEvent
from alerting.models.policies import EscalationPolicySpec
from alerting.models.schedules import Schedule
from alerting.stream import Notice
from notifier.pipeline import audience
from notifier.stages.base import Delivery

TOPIC_CHANNEL_ID = "alerts-topic"  # the stack's SNS topic: hears every alert that is announced
# Transitions that announce an alert to whoever they concern; the others follow the ledger.
ANNOUNCEMENTS = (AlertEvent.firing, AlertEvent.flapping, AlertEvent.escalated, AlertEvent.repeat)


def _none(_: str) -> None:
    return None


@dataclass(frozen=True)
class Route:
    topic: Channel
    channel: Callable[[str], Channel]  # one channel; NotFound once it is gone
    ledger: Callable[[str], list[DeliveryRecord]]  # an alert's delivery records, consistent
    # The transition's channels in one read (a BatchGetItem); None: one lookup per channel.
    channels: Callable[[list[str]], dict[str, Channel]] | None = None
    policy: Callable[[str], EscalationPolicySpec | None] = _none  # None once deleted: the rule's channels hear it
    schedule: Callable[[str], Schedule | None] = _none

    def __call__(self, notice: Notice) -> list[Delivery]:
        """A transition from the stream: one delivery per target. A transition that does not
        announce the alert reads the alert's ledger to route (who heard it, who was sent it), and
        that read holds this transition's own records too (the claims' baseline)."""
        alert = notice.alert
        announcing = notice.event in ANNOUNCEMENTS or alert.last_transition.settled
        ledger = [] if announcing else self.ledger(alert.alert_id)
        earlier = [d for d in ledger if d.seq < notice.seq]
        notified = [d.channel_id for d in earlier if d.heard]
        sent = {d.channel_id for d in earlier if d.sent}
        policy = self.policy(alert.escalation_policy_id) if alert.escalation_policy_id else None

        def on_call(schedule_id: str) -> str | None:
            schedule = self.schedule(schedule_id)
            return schedule.on_call(alert.last_transition.at).participant if schedule else None

        # The topic hears every announcement, and what follows one it heard (like any channel).
        heard = announcing or self.topic.channel_id in notified
        wanted = [c for c in audience(alert, notice.event, policy, on_call, notified) if c != self.topic.channel_id]
        found = self._channels(wanted)
        targets: list[tuple[str, Channel | None]] = [(self.topic.channel_id, self.topic)] if heard else []
        targets += [(channel_id, found.get(channel_id)) for channel_id in wanted]
        deliveries = [Delivery(notice, i, channel, sent_before=i in sent) for i, channel in targets]
        if not announcing:
            own = {d.channel_id: d for d in ledger if d.seq == notice.seq}
            for delivery in deliveries:
                delivery.previous, delivery.known = own.get(delivery.channel_id), True
        return deliveries

    def one(self, notice: Notice, channel_id: str) -> Delivery:
        """A delivery's next round, from the retry queue: its one target."""
        if channel_id == self.topic.channel_id:
            return Delivery(notice, channel_id, self.topic)
        try:
            return Delivery(notice, channel_id, self.channel(channel_id))
        except NotFound:
            return Delivery(notice, channel_id, None)

    def _channels(self, channel_ids: list[str]) -> dict[str, Channel]:
        if self.channels is not None:
            return self.channels(channel_ids)
        found: dict[str, Channel] = {}
        for channel_id in channel_ids:
            try:
                found[channel_id] = self.channel(channel_id)
            except NotFound:
                continue  # kept as its id, to record "channel not found"
        return found
