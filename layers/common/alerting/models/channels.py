"""Notification channels, message templates and delivery records."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, field_validator

from alerting.models.common import AlertEvent, Category, Model, ResourceId, Severity, UtcDatetime


class ChannelType(StrEnum):
    slack = "slack"
    email = "email"
    webhook = "webhook"
    sns = "sns"
    sms = "sms"
    teams = "teams"


class ChannelFilters(Model):
    """Which transitions reach the channel; an empty filter lets everything through."""

    min_severity: Severity | None = None
    categories: list[Category] = []
    events: list[AlertEvent] = []

    def accepts(self, severity: Severity, category: Category, event: AlertEvent) -> bool:
        if self.min_severity is not None and severity.rank < self.min_severity.rank:
            return False
        if self.categories and category not in self.categories:
            return False
        return self.admits(event)

    def admits(self, event: AlertEvent) -> bool:
        """The `events` filter alone: it applies to every transition, also once the channel has
        heard of the alert (severity and category only decide who first hears of it)."""
        return not self.events or event in self.events


class MessageTemplate(Model):
    """Per-channel overrides, rendered in a sandbox with the alert's fields."""

    subject: Annotated[str, Field(max_length=1000)] | None = None
    body: Annotated[str, Field(max_length=20_000)] | None = None


class SlackTarget(Model):
    webhook_url: Annotated[str, Field(min_length=1, max_length=2048)]
    # The Slack app's signing secret (Basic Information > App Credentials): with it, messages carry
    # Acknowledge, Resolve and Silence buttons, whose callbacks it verifies (`alerting.channels.slack_actions`).
    signing_secret: Annotated[str, Field(min_length=16, max_length=256, pattern=r"^\S+$")] | None = None


EmailAddress = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$", max_length=320)]


class EmailTarget(Model):
    to: Annotated[list[EmailAddress], Field(min_length=1, max_length=50)]
    # The deployment's `EmailSender` when absent; else one of its `OtherEmailSenders`.
    sender: EmailAddress | None = None


class WebhookTarget(Model):
    url: Annotated[str, Field(min_length=1, max_length=2048)]
    secret: Annotated[str, Field(min_length=8, max_length=512)] | None = None


class SnsTarget(Model):
    topic_arn: Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")]


class TeamsTarget(Model):
    # A Teams Workflows webhook ("When a Teams webhook request is received"): the URL carries
    # its own signature, so it is a secret like Slack's. Which hosts it may name:
    # `alerting.channels.teams`.
    webhook_url: Annotated[str, Field(min_length=1, max_length=2048)]


class SmsTarget(Model):
    phone_number: Annotated[str, Field(pattern=r"^\+[1-9]\d{6,14}$", description="E.164, e.g. +4915112345678")]


# Fields whose values are secrets: stored in SSM SecureString, never returned or logged.
SECRET_FIELDS: dict[ChannelType, tuple[str, ...]] = {
    ChannelType.slack: ("webhook_url", "signing_secret"),
    ChannelType.webhook: ("url", "secret"),
    ChannelType.email: (),
    ChannelType.sns: (),
    ChannelType.sms: (),
    ChannelType.teams: ("webhook_url",),
}

TARGET_MODELS: dict[ChannelType, type[Model]] = {
    ChannelType.slack: SlackTarget,
    ChannelType.email: EmailTarget,
    ChannelType.webhook: WebhookTarget,
    ChannelType.sns: SnsTarget,
    ChannelType.sms: SmsTarget,
    ChannelType.teams: TeamsTarget,
}


class Grouping(Model):
    """Alertmanager's group_by / group_wait / group_interval, at a channel's top level. Without
    `group_by` the channel gets one message per transition; with it (`[]`: one group), the
    transitions of a group within `group_wait_seconds` go out as one message, and later ones
    at most every `group_interval_seconds`."""

    group_by: Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=10)] | None = None
    group_wait_seconds: Annotated[int, Field(ge=0, le=3600, strict=True)] = 30
    group_interval_seconds: Annotated[int, Field(ge=60, le=86_400, strict=True)] = 300

    def grouping(self) -> dict[str, Any]:
        return {
            "group_by": self.group_by,
            "group_wait_seconds": self.group_wait_seconds,
            "group_interval_seconds": self.group_interval_seconds,
        }


class ChannelSpec(Grouping):
    channel_id: ResourceId | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)]
    type: ChannelType
    target: dict[str, object]
    filters: ChannelFilters = ChannelFilters()
    template: MessageTemplate | None = None
    enabled: bool = True

    @field_validator("group_by")
    @classmethod
    def _distinct(cls, labels: list[str] | None) -> list[str] | None:
        # Alertmanager's route config refuses a repeated label too ("duplicated label in group_by").
        repeated = sorted({label for label in labels or [] if (labels or []).count(label) > 1})
        if repeated:
            raise ValueError(f"duplicated label {repeated[0]!r}: each label once")
        return labels


class Channel(Grouping):
    """A stored channel. `target` holds non-secret fields; secrets live in SSM under `secret_refs`."""

    channel_id: ResourceId
    name: str
    type: ChannelType
    target: dict[str, object]
    secret_refs: dict[str, str] = {}
    filters: ChannelFilters = ChannelFilters()
    template: MessageTemplate | None = None
    enabled: bool = True
    version: int = 1
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None


class DeliveryStatus(StrEnum):
    sending = "sending"  # claimed by an invocation; guards against a second send
    delivered = "delivered"
    retrying = "retrying"
    failed = "failed"
    suppressed = "suppressed"
    grouped = "grouped"  # waits for its group's message (the channel's group_wait)


class DeliveryRecord(Model):
    """One (transition, channel) delivery; `attempts` counts every try across invocations."""

    alert_id: str
    seq: int
    channel_id: str
    channel_type: ChannelType
    event: AlertEvent
    status: DeliveryStatus
    attempts: int = 0  # sends, across every invocation
    rounds: int = 0  # invocations that tried (stream redeliveries included)
    http_status: int | None = None
    provider_message_id: str | None = None
    error: str | None = None
    latency_ms: int | None = None
    template_error: str | None = None
    # `suppressed` by: this silence, this mute window, this open alert (inhibition)
    # `grouped`: the group it waits in ("<channel>:<key>"); then the group message that carried
    # it ("<channel>:<key>:<sent at>"), shared by every transition in that message
    group_id: str | None = None
    silence_id: str | None = None
    mute_window_id: str | None = None
    inhibited_by: str | None = None
    flapping: bool = False  # `suppressed` because its series flaps

    @property
    def heard(self) -> bool:
        """Whether the channel is in the alert's audience after this record: anything but a
        suppression by a silence, mute window, inhibition or flapping (a channel's own filter
        keeps it in: it chose what to hear)."""
        quieted = self.silence_id or self.mute_window_id or self.inhibited_by or self.flapping
        return not (self.status is DeliveryStatus.suppressed and quieted)

    @property
    def sent(self) -> bool:
        """Whether a message went (or was tried) to the channel: from then on it hears the
        alert's later transitions whatever its severity and category filters say (a fall back to
        warning included), those its `events` filter admits."""
        return self.status is not DeliveryStatus.suppressed

    created_at: UtcDatetime
    updated_at: UtcDatetime
    lease_until: int | None = None  # epoch seconds a `sending` claim is held for
    next_attempt_at: int | None = None  # epoch seconds of the next round of a `retrying` delivery
