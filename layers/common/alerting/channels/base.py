"""What every channel shares: the message it renders and the receipt it returns.

A channel's ``send`` either returns a ``Receipt`` or raises ``DeliveryError`` saying whether a
retry can help (timeouts, 429, 5xx, throttling) or not (other 4xx, invalid address). Channels
never retry themselves, never log, and never put a secret (webhook URL, HMAC key) in an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from alerting.models.alerts import Alert
from alerting.models.channels import MessageTemplate
from alerting.models.common import AlertEvent


@dataclass(frozen=True)
class Message:
    alert: Alert  # the alert as of this transition (the stream record's new image)
    event: AlertEvent
    seq: int  # the transition's sequence number (the alert's version after it)
    delivery_id: str  # stable across retries: "<alert_id>:<seq>:<channel_id>"
    template: MessageTemplate | None = None
    console_url: str = ""  # base URL for links (API / console); empty when unknown
    ack_url: str | None = None  # acknowledges the alert (e-mail and SMS: `alerting.ack_links`)


@dataclass(frozen=True)
class Receipt:
    provider_message_id: str | None = None
    http_status: int | None = None
    template_error: str | None = None  # the channel's template failed; the default was sent


@dataclass(frozen=True)
class GroupMessage:
    """Several alerts of one group (a channel's `group_by` labels) in one message, each as its
    latest transition; the most urgent first."""

    alerts: tuple[Alert, ...]
    group_id: str  # stable across retries: "<channel_id>:<group key>:<flush time>"
    labels: dict[str, str]  # the group's `group_by` values
    console_url: str = ""
    ack_urls: Mapping[str, str] = field(default_factory=dict)  # alert id → its acknowledge link (e-mail)

    @property
    def event(self) -> AlertEvent:
        """The group's headline event: its most urgent alert's."""
        return self.alerts[0].last_transition.event


class Sender(Protocol):
    def send(self, message: Message) -> Receipt: ...

    def send_group(self, group: GroupMessage) -> Receipt: ...
