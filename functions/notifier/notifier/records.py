"""The delivery record each outcome writes, as pure functions of what happened and ``now``.

A record is carried from round to round (its attempts, rounds and creation time); these say
what changes when a transition is suppressed, claimed, deferred, grouped, sent or given up.
"""

from __future__ import annotations

from datetime import datetime

from alerting.channels.base import Receipt
from alerting.errors import DeliveryError
from alerting.models.channels import Channel, ChannelType, DeliveryRecord, DeliveryStatus
from alerting.stream import Notice
from notifier.pipeline import Step
from notifier.stages.base import Round


def round_record(
    notice: Notice, channel_id: str, channel_type: ChannelType, previous: DeliveryRecord | None, now: datetime
) -> DeliveryRecord:
    """This round's record of the (transition, channel), carried on from the previous one."""
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


def settled_record(
    notice: Notice, channel_id: str, channel: Channel | None, step: Step, now: datetime
) -> DeliveryRecord:
    """A final outcome without a send (suppressed, naming what held it back; or failed)."""
    assert step.status is not None
    channel_type = channel.type if channel else ChannelType.webhook
    record = round_record(notice, channel_id, channel_type, None, now)
    update: dict[str, object] = {"status": step.status, "error": step.reason, "rounds": 0}
    if step.suppression is not None:
        update |= {
            "silence_id": step.suppression.silence_id,
            "mute_window_id": step.suppression.mute_window_id,
            "inhibited_by": step.suppression.inhibited_by,
            "flapping": step.suppression.flapping,
        }
    return record.model_copy(update=update)


def deferred_record(
    notice: Notice,
    channel: Channel,
    previous: DeliveryRecord | None,
    step: Step,
    open_until: int,
    max_rounds: int,
    now: datetime,
) -> DeliveryRecord:
    """The breaker is open: the round waits until it closes, and counts (so a dead channel ends)."""
    record = round_record(notice, channel.channel_id, channel.type, previous, now).model_copy(
        update={"status": DeliveryStatus.retrying, "error": step.reason, "next_attempt_at": open_until}
    )
    if record.rounds >= max_rounds:
        return record.model_copy(update={"status": DeliveryStatus.failed})
    return record


def joined_record(notice: Notice, channel: Channel, group_id: str, due: int, now: datetime) -> DeliveryRecord:
    """The transition waits for its group's message; sent alone if that never comes by ``due``."""
    record = round_record(notice, channel.channel_id, channel.type, None, now)
    return record.model_copy(
        update={"status": DeliveryStatus.grouped, "rounds": 0, "group_id": group_id, "next_attempt_at": due}
    )


def sent_record(claim: DeliveryRecord, tried: Round, now: datetime) -> DeliveryRecord:
    """A claim whose round went through."""
    assert tried.receipt is not None
    receipt: Receipt = tried.receipt
    return claim.model_copy(
        update={
            "status": DeliveryStatus.delivered,
            "attempts": claim.attempts + tried.tries,
            "latency_ms": tried.latency_ms,
            "http_status": receipt.http_status,
            "provider_message_id": receipt.provider_message_id,
            "template_error": receipt.template_error,
            "error": None,
            "lease_until": None,
            "updated_at": now,
        }
    )


def tried_record(claim: DeliveryRecord, tried: Round, now: datetime) -> DeliveryRecord:
    """A claim whose round failed, released; ``after_failure`` says whether it is tried again."""
    assert tried.error is not None
    return claim.model_copy(
        update={
            "attempts": claim.attempts + tried.tries,
            "error": str(tried.error),
            "http_status": tried.error.status_code,
            "lease_until": None,
            "updated_at": now,
        }
    )


def member_tried(record: DeliveryRecord, tried: Round, group_id: str) -> DeliveryRecord:
    """A group member whose message was tried: its tries counted, the message named."""
    return record.model_copy(update={"attempts": record.attempts + tried.tries, "group_id": group_id})


def member_sent(record: DeliveryRecord, receipt: Receipt, now: datetime) -> DeliveryRecord:
    """A group member whose message went out."""
    return record.model_copy(
        update={
            "status": DeliveryStatus.delivered,
            "http_status": receipt.http_status,
            "provider_message_id": receipt.provider_message_id,
            "error": None,
            "next_attempt_at": None,
            "updated_at": now,
        }
    )


def member_failed(record: DeliveryRecord, error: DeliveryError, now: datetime) -> DeliveryRecord:
    """A group member given up with its message."""
    return record.model_copy(
        update={"status": DeliveryStatus.failed, "error": str(error), "next_attempt_at": None, "updated_at": now}
    )


def member_waiting(
    record: DeliveryRecord, tried: Round, rounds: int, next_attempt_at: int, now: datetime
) -> DeliveryRecord:
    """A group member whose message failed a round: it travels with the message's next round."""
    return record.model_copy(
        update={
            "status": DeliveryStatus.grouped,
            "attempts": record.attempts + tried.tries,
            "rounds": rounds,
            "error": str(tried.error),
            "next_attempt_at": next_attempt_at,
            "updated_at": now,
        }
    )
