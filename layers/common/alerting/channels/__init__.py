"""Delivery channels: Slack, Teams, e-mail (SES), generic webhook, SNS and SMS, one ``Sender`` each.

They live in the shared layer because both the notifier and the API's "test channel" endpoint
send. ``sender_for`` builds the sender of a stored ``Channel``; clients and the HTTP client
are handed in, never built here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from alerting.channels.base import Message, Receipt, Sender
from alerting.channels.email import EmailSender
from alerting.channels.http import HttpClient
from alerting.channels.slack import SlackSender
from alerting.channels.slack_actions import ButtonKey
from alerting.channels.sms import SmsSender, destination_allowed
from alerting.channels.sns import SnsSender
from alerting.channels.targets import check_target
from alerting.channels.teams import TeamsSender, check_workflow_url
from alerting.channels.webhook import WebhookSender
from alerting.errors import DeliveryError
from alerting.models.channels import (
    SECRET_FIELDS,
    TARGET_MODELS,
    Channel,
    EmailTarget,
    SlackTarget,
    SmsTarget,
    SnsTarget,
    TeamsTarget,
    WebhookTarget,
)

__all__ = [
    "EmailSender",
    "HttpClient",
    "Message",
    "Receipt",
    "Sender",
    "SlackSender",
    "SmsSender",
    "SnsSender",
    "TeamsSender",
    "WebhookSender",
    "check_target",
    "check_workflow_url",
    "destination_allowed",
    "sender_for",
]


def sender_for(
    channel: Channel,
    secrets: dict[str, str],
    *,
    http: HttpClient,
    ses_client: Any,
    sns_client: Any,
    email_sender: str,
    email_senders: Mapping[str, str] | None = None,
    sms_country_codes: tuple[str, ...] = (),
    timeout: float,
) -> Sender:
    """The sender for ``channel``: its ``target`` plus its secret fields (resolved from SSM).

    ``email_senders`` maps each allowed sender's lower case to the case the IAM condition names
    (``DeliverySettings.email_senders``); mail goes out from that spelling. An SMS goes only to a
    number in ``sms_country_codes`` (empty: anywhere).

    A stored channel that no longer makes a valid target (a secret missing from the store) is
    a permanent delivery failure; the error names the fields, never their values.
    """
    fields = {**channel.target, **{k: secrets[k] for k in SECRET_FIELDS[channel.type] if k in secrets}}
    try:
        target = TARGET_MODELS[channel.type].model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, error['loc']))}: {error['msg']}" for error in exc.errors(include_input=False)
        )
        raise DeliveryError(f"{channel.type.value} channel is misconfigured: {problems}", retryable=False) from None
    if isinstance(target, SlackTarget):
        # Buttons only where their clicks can be verified: with the Slack app's signing secret.
        buttons = ButtonKey(channel.channel_id, target.signing_secret) if target.signing_secret else None
        return SlackSender(http, target.webhook_url, timeout=timeout, buttons=buttons)
    if isinstance(target, TeamsTarget):
        return TeamsSender(http, target.webhook_url, timeout=timeout)
    if isinstance(target, WebhookTarget):
        return WebhookSender(http, target.url, secret=target.secret, timeout=timeout)
    if isinstance(target, EmailTarget):
        allowed = {email_sender.lower(): email_sender, **(email_senders or {})}
        sender = allowed.get((target.sender or email_sender).lower())
        if sender is None:  # stored before the allow-list
            raise DeliveryError("email channel is misconfigured: sender is not an allowed sender", retryable=False)
        return EmailSender(ses_client, sender=sender, to=target.to)
    if isinstance(target, SnsTarget):
        return SnsSender(sns_client, target.topic_arn)
    if isinstance(target, SmsTarget):
        if not destination_allowed(target.phone_number, sms_country_codes):  # stored before the allow-list
            raise DeliveryError(
                "sms channel is misconfigured: phone_number is outside the allowed country codes", retryable=False
            )
        return SmsSender(sns_client, target.phone_number)
    raise AssertionError(f"no sender for channel type {channel.type}")  # TARGET_MODELS and this list agree
