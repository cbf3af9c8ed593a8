"""Delivery channels: Slack, e-mail (SES), generic webhook and SNS, one ``Sender`` each.

They live in the shared layer because both the notifier and the API's "test channel" endpoint
send. ``sender_for`` builds the sender of a stored ``Channel``; clients and the HTTP session
are handed in, never built here.
"""

from __future__ import annotations

from typing import Any

import requests
from pydantic import ValidationError

from alerting.channels.base import Message, Receipt, Sender
from alerting.channels.email import EmailSender
from alerting.channels.http import check_target
from alerting.channels.slack import SlackSender
from alerting.channels.sns import SnsSender
from alerting.channels.webhook import WebhookSender
from alerting.errors import DeliveryError
from alerting.models.channels import (
    SECRET_FIELDS,
    TARGET_MODELS,
    Channel,
    EmailTarget,
    SlackTarget,
    SnsTarget,
    WebhookTarget,
)

__all__ = [
    "EmailSender",
    "Message",
    "Receipt",
    "Sender",
    "SlackSender",
    "SnsSender",
    "WebhookSender",
    "check_target",
    "sender_for",
]


def sender_for(
    channel: Channel,
    secrets: dict[str, str],
    *,
    session: requests.Session,
    ses_client: Any,
    sns_client: Any,
    email_sender: str,
    timeout: float,
    allow_private: bool,
) -> Sender:
    """The sender for ``channel``: its ``target`` plus its secret fields (resolved from SSM).

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
        return SlackSender(session, target.webhook_url, timeout=timeout, allow_private=allow_private)
    if isinstance(target, WebhookTarget):
        return WebhookSender(session, target.url, secret=target.secret, timeout=timeout, allow_private=allow_private)
    if isinstance(target, EmailTarget):
        return EmailSender(ses_client, sender=target.sender or email_sender, to=target.to)
    if isinstance(target, SnsTarget):
        return SnsSender(sns_client, target.topic_arn)
    raise AssertionError(f"no sender for channel type {channel.type}")  # TARGET_MODELS and this list agree
