"""Grouped delivery (a channel's `group_by`): a transition joins its group instead of being
sent; the group's message goes out once, later, with every member, and each member's record
is updated from its outcome. Part of the `Deliverer` (which provides the stores, the senders
and the retry policy); kept apart because it is a second way out, not a step of the first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from alerting.channels.base import GroupMessage, Receipt, Sender
from alerting.errors import DeliveryError, NotFound
from alerting.models.alerts import Alert
from alerting.models.channels import Channel, DeliveryRecord, DeliveryStatus
from alerting.models.common import epoch
from alerting.repositories.alerts import AlertRepository
from alerting.repositories.groups import GroupStore
from alerting.stream import Notice
from notifier.pipeline import GROUP_GRACE, SETTLED, RetryPolicy, group_key, group_order
from notifier.transitions import Flush

FlushScheduler = Callable[[Flush, int], None]  # (a group's message, delay in seconds)


class GroupDelivery:
    # provided by the Deliverer
    ledger: AlertRepository
    channel_lookup: Callable[[str], Channel]
    sender_for: Callable[[Channel], Sender]
    groups: GroupStore | None
    schedule_flush: FlushScheduler
    console_url: str
    retry: RetryPolicy
    sleep: Callable[[float], None]
    clock: Callable[[], datetime]

    if TYPE_CHECKING:  # the Deliverer's own, used here

        def _record(
            self, notice: Notice, channel_id: str, channel_type: Any, previous: DeliveryRecord | None
        ) -> DeliveryRecord: ...

        def _save(self, record: DeliveryRecord) -> DeliveryRecord: ...

        def _save_outcome(self, record: DeliveryRecord) -> DeliveryRecord: ...

        def _settle(self, record: DeliveryRecord, notice: Notice) -> DeliveryRecord: ...

    def _join(self, notice: Notice, channel: Channel, now: int) -> DeliveryRecord:
        """The transition waits for its group's message; the member that opens the group
        schedules that message."""
        if self.groups is None:
            raise RuntimeError("a grouping channel needs the notifier's group store")
        key, _ = group_key(channel, notice.alert)
        joined = self.groups.join(
            channel.channel_id,
            key,
            f"{notice.alert.alert_id}|{notice.seq}",
            wait=channel.group_wait_seconds,
            interval=channel.group_interval_seconds,
            now=now,
        )
        record = self._record(notice, channel.channel_id, channel.type, None).model_copy(
            update={
                "status": DeliveryStatus.grouped,
                "rounds": 0,
                "group_id": f"{channel.channel_id}:{key}",
                "next_attempt_at": joined.flush_at + GROUP_GRACE,
            }
        )
        self._save(record)
        if joined.opened:
            self.schedule_flush(Flush(channel.channel_id, key), max(0, joined.flush_at - now))
        return record

    def deliver_group(self, flush: Flush) -> list[DeliveryRecord]:
        """A group's message: every member's latest state in one send, each member's record
        updated; a failed send is retried as one (its members travel with the retry)."""
        now = epoch(self.clock())
        members = list(flush.members)
        if not members:
            assert self.groups is not None
            members, later = self.groups.take(flush.channel_id, flush.key, now)
            if not members:
                if later is not None:  # joined early: not due yet
                    self.schedule_flush(flush, max(0, later - now))
                return []
        parsed = [(alert_id, int(seq)) for alert_id, seq in (m.rsplit("|", 1) for m in members)]
        records = [
            r
            for r in (self.ledger.get_delivery(a, s, flush.channel_id) for a, s in parsed)
            if r is not None and r.status not in SETTLED
        ]
        if not records:
            return []
        alerts = group_order([self.ledger.get(a) for a in dict.fromkeys(r.alert_id for r in records)])
        try:
            channel = self.channel_lookup(flush.channel_id)
        except NotFound:
            return [
                self._finish_group(r, None, DeliveryError("channel not found", retryable=False), alerts)
                for r in records
            ]
        _, labels = group_key(channel, alerts[0])
        group = GroupMessage(tuple(alerts), f"{flush.channel_id}:{flush.key}:{now}", labels, self.console_url)
        receipt, error, attempts = self._send_group(channel, group)
        if error is not None and error.retryable and flush.rounds + 1 < self.retry.max_rounds:
            wait = self.retry.next_round_in(flush.rounds + 1, error.retry_after)
            self.schedule_flush(Flush(flush.channel_id, flush.key, tuple(members), flush.rounds + 1), wait)
            retrying = [
                r.model_copy(
                    update={
                        "status": DeliveryStatus.grouped,
                        "attempts": r.attempts + attempts,
                        "rounds": flush.rounds + 1,
                        "error": str(error),
                        "next_attempt_at": now + wait + GROUP_GRACE,
                        "updated_at": self.clock(),
                    }
                )
                for r in records
            ]
            return [self._save(r) for r in retrying]
        sent = [r.model_copy(update={"attempts": r.attempts + attempts, "group_id": group.group_id}) for r in records]
        return [self._finish_group(r, receipt, error, alerts) for r in sent]

    def _send_group(self, channel: Channel, group: GroupMessage) -> tuple[Receipt | None, DeliveryError | None, int]:
        """One round of tries of a group's message: (receipt, last error, sends tried)."""
        try:
            sender = self.sender_for(channel)
        except (DeliveryError, NotFound) as exc:
            return None, DeliveryError(f"channel is misconfigured: {exc}", retryable=False), 0
        except Exception as exc:
            return None, DeliveryError(f"channel could not be prepared: {type(exc).__name__}", retryable=True), 0
        error: DeliveryError | None = None
        for attempt in range(1, self.retry.attempts_per_round + 1):
            try:
                return sender.send_group(group), None, attempt
            except DeliveryError as exc:
                error = exc
                wait = self.retry.delay(attempt, exc.retry_after) if exc.retryable else None
                if attempt == self.retry.attempts_per_round or wait is None:
                    return None, error, attempt
                self.sleep(wait)
            except Exception as exc:
                return None, DeliveryError(f"unexpected {type(exc).__name__}", retryable=True), attempt
        return None, error, self.retry.attempts_per_round

    def _finish_group(
        self, record: DeliveryRecord, receipt: Receipt | None, error: DeliveryError | None, alerts: list[Alert]
    ) -> DeliveryRecord:
        if error is None and receipt is not None:
            return self._save_outcome(
                record.model_copy(
                    update={
                        "status": DeliveryStatus.delivered,
                        "http_status": receipt.http_status,
                        "provider_message_id": receipt.provider_message_id,
                        "error": None,
                        "next_attempt_at": None,
                        "updated_at": self.clock(),
                    }
                )
            )
        assert error is not None
        failed = record.model_copy(
            update={
                "status": DeliveryStatus.failed,
                "error": str(error),
                "next_attempt_at": None,
                "updated_at": self.clock(),
            }
        )
        alert = next(a for a in alerts if a.alert_id == record.alert_id)
        return self._settle(failed, Notice(alert, record.event, record.seq))
