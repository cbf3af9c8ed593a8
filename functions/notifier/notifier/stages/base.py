"""What passes through the notifier's stages: one transition on its way to one target.

After Alertmanager's ``notify.Stage``: a stage takes a delivery and hands it on with its part
filled in (the record stage, last, hands back the delivery's record).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from alerting.channels.base import Receipt
from alerting.errors import DeliveryError
from alerting.models.alerts import Alert
from alerting.models.channels import Channel, DeliveryRecord
from alerting.repositories.breakers import Breaker
from alerting.stream import Notice
from notifier.pipeline import Step, Suppression
from notifier.transitions import Flush


@dataclass
class Delivery:
    """One transition to one target. Route makes it; quiet, claim, group and send fill it in;
    record writes its ``outcome`` (if any) and schedules what follows."""

    notice: Notice
    channel_id: str
    channel: Channel | None  # None: the id names no channel (recorded as failed)
    sent_before: bool = False  # the channel was sent an earlier transition of the alert
    quiet: Suppression | None = None  # what holds the transition back, for every target alike
    known: bool = False  # ``previous`` has been read (by routing, or in a batch)
    previous: DeliveryRecord | None = None  # the ledger's record of this (transition, target)
    breaker: Breaker | None = None  # the channel's, read when a send may follow
    step: Step | None = None  # what to do, decided at the claim
    claim: DeliveryRecord | None = None  # the `sending` record written to take the send
    outcome: DeliveryRecord | None = None  # the record to write
    flush: tuple[Flush, int] | None = None  # a group's message to schedule (delay in seconds)


@dataclass(frozen=True)
class Round:
    """One round of tries of one message: its receipt, or the last error; the tries it took."""

    receipt: Receipt | None
    error: DeliveryError | None
    tries: int
    latency_ms: int = 0  # of the try that went through


@dataclass
class GroupBatch:
    """A group's message that is due: the members that still wait for it (one delivery each,
    its record as ``previous``), their alerts most urgent first, and the channel."""

    flush: Flush
    members: tuple[str, ...]  # every member of the message (``alert_id|seq``), to retry with
    channel: Channel | None  # None: the channel is gone
    alerts: list[Alert]
    deliveries: list[Delivery]
    now: int  # epoch seconds the message was taken
    again: tuple[Flush, int] | None = field(default=None)  # its next round, when it failed
