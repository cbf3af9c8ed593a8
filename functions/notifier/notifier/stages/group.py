"""Group: a channel with `group_by` hears a transition in its group's next message, not alone.

The transition joins its group (the group store) and its record says `grouped`; the member that
opens the group schedules the message on the retry queue. When the message is due, ``gather``
takes the members that still wait for it; the send and record stages do the rest, as for one
transition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from alerting.errors import NotFound
from alerting.models.channels import Channel
from alerting.models.common import epoch, utcnow
from alerting.repositories.alerts import AlertRepository
from alerting.repositories.groups import GroupStore
from alerting.stream import Notice
from notifier.pipeline import GROUP_GRACE, SETTLED, group_key, group_order
from notifier.records import joined_record
from notifier.stages.base import Delivery, GroupBatch
from notifier.transitions import Flush

FlushScheduler = Callable[[Flush, int], None]  # (a group's message, delay in seconds)


@dataclass(frozen=True)
class Group:
    groups: GroupStore
    ledger: AlertRepository
    channel: Callable[[str], Channel]  # NotFound once it is gone
    schedule_flush: FlushScheduler  # a group's message, on the retry queue
    clock: Callable[[], datetime] = utcnow

    def __call__(self, delivery: Delivery) -> Delivery:
        """A target whose channel groups: the transition joins the group's next message."""
        channel, notice = delivery.channel, delivery.notice
        assert channel is not None
        now = self.clock()
        key, _ = group_key(channel, notice.alert)
        joined = self.groups.join(
            channel.channel_id,
            key,
            f"{notice.alert.alert_id}|{notice.seq}",
            wait=channel.group_wait_seconds,
            interval=channel.group_interval_seconds,
            now=epoch(now),
        )
        group_id = f"{channel.channel_id}:{key}"
        delivery.outcome = joined_record(notice, channel, group_id, joined.flush_at + GROUP_GRACE, now)
        if joined.opened:
            delivery.flush = (Flush(channel.channel_id, key), max(0, joined.flush_at - epoch(now)))
        return delivery

    def gather(self, flush: Flush) -> GroupBatch | None:
        """A group's message that is due: its members that still wait for it (None: nothing to
        send; one that came early is scheduled again for when the group is due)."""
        now = epoch(self.clock())
        members = flush.members
        if not members:
            taken, later = self.groups.take(flush.channel_id, flush.key, now)
            if not taken and later is not None:  # joined early: not due yet
                self.schedule_flush(flush, max(0, later - now))
            members = tuple(taken)
        parsed = [(alert_id, int(seq)) for alert_id, seq in (m.rsplit("|", 1) for m in members)]
        records = [
            r
            for r in (self.ledger.get_delivery(a, s, flush.channel_id) for a, s in parsed)
            if r is not None and r.status not in SETTLED
        ]
        if not records:
            return None
        alerts = group_order([self.ledger.get(a) for a in dict.fromkeys(r.alert_id for r in records)])
        by_id = {alert.alert_id: alert for alert in alerts}
        channel = self._channel(flush.channel_id)
        deliveries = [
            Delivery(Notice(by_id[r.alert_id], r.event, r.seq), r.channel_id, channel, known=True, previous=r)
            for r in records
        ]
        return GroupBatch(flush, members, channel, alerts, deliveries, now)

    def _channel(self, channel_id: str) -> Channel | None:
        try:
            return self.channel(channel_id)
        except NotFound:
            return None
