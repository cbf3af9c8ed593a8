"""Send: one round of tries of a message (3, with jittered backoff), and the channel's breaker.

A transition's message and a group's go through the same round. A round that fails is tried
again in a later round from the retry queue (30 s doubling to 15 min, a longer `Retry-After`,
or until an open breaker closes), so the stream moves on and a failing channel is not
hammered; after 6 rounds the delivery is given up. A single send opens the channel's breaker
after repeated failures and closes it on success; a group's message does not touch it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from alerting.ack_links import GROUP_LINKED, AckLinks
from alerting.channels.base import GroupMessage, Message, Sender
from alerting.channels.render import MAX_GROUP_LINES
from alerting.errors import DeliveryError, NotFound
from alerting.models.alerts import Alert
from alerting.models.channels import Channel, DeliveryRecord
from alerting.models.common import epoch, utcnow
from alerting.repositories.breakers import Breaker, BreakerPolicy, BreakerStore
from notifier.pipeline import GROUP_GRACE, Act, RetryPolicy, after_failure, group_key, group_retry_in
from notifier.records import (
    deferred_record,
    member_failed,
    member_sent,
    member_tried,
    member_waiting,
    sent_record,
    tried_record,
)
from notifier.stages.base import Delivery, GroupBatch, Round
from notifier.transitions import Flush

CHANNEL_GONE = DeliveryError("channel not found", retryable=False)
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Send:
    sender_for: Callable[[Channel], Sender]
    breakers: BreakerStore
    console_url: str = ""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker_policy: BreakerPolicy = field(default_factory=BreakerPolicy)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], datetime] = utcnow
    ack_links: AckLinks | None = None  # e-mail's and SMS's acknowledge links (None: messages carry none)

    def __call__(self, delivery: Delivery) -> Delivery:
        """A claimed target's round (or, while its breaker is open, a round that waits for it)."""
        channel, breaker, notice = delivery.channel, delivery.breaker, delivery.notice
        assert channel is not None and breaker is not None and delivery.step is not None
        if delivery.step.act is Act.defer:
            delivery.outcome = deferred_record(
                notice,
                channel,
                delivery.previous,
                delivery.step,
                breaker.open_until,
                self.retry.max_rounds,
                self.clock(),
            )
            return delivery
        claim = delivery.claim
        assert claim is not None
        message = Message(
            alert=notice.alert,
            event=notice.event,
            seq=notice.seq,
            delivery_id=f"{notice.alert.alert_id}:{notice.seq}:{channel.channel_id}",
            template=channel.template,
            console_url=self.console_url,
            ack_url=self.ack_link(notice.alert, notice.seq, channel),
        )
        tried = self.round(channel, message)
        if tried.error is None:
            if breaker.failures:
                self.breakers.save(Breaker(channel.channel_id))
            delivery.outcome = sent_record(claim, tried, self.clock())
            return delivery
        now = epoch(self.clock())
        if tried.error.retryable:
            self.breakers.save(self.breaker_policy.after_failure(breaker, now))
        delivery.outcome = after_failure(tried_record(claim, tried, self.clock()), tried.error, self.retry, now)
        return delivery

    def ack_link(self, alert: Alert, seq: int, channel: Channel) -> str | None:
        """The message's acknowledge link, where it has one; a link that cannot be issued now
        (its secret or its store unreachable) is left out: the page goes without it, not later."""
        if self.ack_links is None:
            return None
        try:
            return self.ack_links(alert, seq, channel)
        except Exception as exc:
            logger.warning("acknowledge link left out", extra={"channel_id": channel.channel_id, "error": repr(exc)})
            return None

    def group_links(self, alerts: list[Alert], channel: Channel) -> dict[str, str]:
        """A grouped e-mail's acknowledge links: one for each alert it lists that fires."""
        if self.ack_links is None or channel.type not in GROUP_LINKED:
            return {}
        links = {a.alert_id: self.ack_link(a, a.last_transition.seq, channel) for a in alerts[:MAX_GROUP_LINES]}
        return {alert_id: link for alert_id, link in links.items() if link}

    def group(self, batch: GroupBatch) -> None:
        """A group's message: one round for every member; a failed one is retried as one (its
        members travel with it) until the rounds are spent, then each member is given up."""
        if batch.channel is None:
            for delivery in batch.deliveries:
                delivery.outcome = member_failed(_record(delivery), CHANNEL_GONE, self.clock())
            return
        flush, channel = batch.flush, batch.channel
        _, labels = group_key(channel, batch.alerts[0])
        group_id = f"{flush.channel_id}:{flush.key}:{batch.now}"
        links = self.group_links(batch.alerts, channel)
        message = GroupMessage(tuple(batch.alerts), group_id, labels, self.console_url, links)
        tried = self.round(channel, message)
        wait = group_retry_in(flush.rounds, tried.error, self.retry) if tried.error else None
        if wait is not None:
            rounds = flush.rounds + 1
            batch.again = (Flush(flush.channel_id, flush.key, batch.members, rounds), wait)
            due = batch.now + wait + GROUP_GRACE
            for delivery in batch.deliveries:
                delivery.outcome = member_waiting(_record(delivery), tried, rounds, due, self.clock())
            return
        for delivery in batch.deliveries:
            record = member_tried(_record(delivery), tried, group_id)
            if tried.receipt is not None:
                delivery.outcome = member_sent(record, tried.receipt, self.clock())
            else:
                assert tried.error is not None
                delivery.outcome = member_failed(record, tried.error, self.clock())

    def round(self, channel: Channel, message: Message | GroupMessage) -> Round:
        """Up to ``attempts_per_round`` tries, backing off between those worth repeating."""
        try:
            sender = self.sender_for(channel)
        except (DeliveryError, NotFound) as exc:  # misconfigured channel or a secret gone from SSM
            return Round(None, DeliveryError(f"channel is misconfigured: {exc}", retryable=False), 0)
        except Exception as exc:  # SSM throttled or unreachable: a later round tries again
            return Round(None, DeliveryError(f"channel could not be prepared: {type(exc).__name__}", retryable=True), 0)
        for attempt in range(1, self.retry.attempts_per_round + 1):
            started = time.perf_counter()
            try:
                receipt = sender.send(message) if isinstance(message, Message) else sender.send_group(message)
            except DeliveryError as exc:
                wait = self.retry.delay(attempt, exc.retry_after) if exc.retryable else None
                if attempt == self.retry.attempts_per_round or wait is None:
                    return Round(None, exc, attempt)
                self.sleep(wait)
                continue
            except Exception as exc:  # unclassified (a bug, an SDK surprise): retry later, never keep the claim
                return Round(None, DeliveryError(f"unexpected {type(exc).__name__}", retryable=True), attempt)
            return Round(receipt, None, attempt, int((time.perf_counter() - started) * 1000))
        raise ValueError("a round needs at least one attempt")


def _record(member: Delivery) -> DeliveryRecord:
    assert member.previous is not None, "a group's member is read with its record"
    return member.previous
