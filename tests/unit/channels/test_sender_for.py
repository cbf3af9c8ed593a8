"""sender_for: a stored channel plus its secrets becomes the right, working sender."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
import requests
from moto import mock_aws

from alerting.channels import EmailSender, SlackSender, SnsSender, WebhookSender, sender_for
from alerting.errors import DeliveryError
from alerting.models.channels import Channel, ChannelType
from alerting_local.receiver import Receiver
from tests.unit.channels.builders import HMAC_SECRET, SLACK_PATH, WEBHOOK_PATH, make_message

TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:alerts"


def _channel(kind: ChannelType, target: dict[str, object] | None = None) -> Channel:
    return Channel(channel_id="ch-1", name="on-call", type=kind, target=target or {})


def _build(channel: Channel, secrets: dict[str, str], session: requests.Session, aws: boto3.Session) -> Any:
    return sender_for(
        channel,
        secrets,
        session=session,
        ses_client=aws.client("ses"),
        sns_client=aws.client("sns"),
        email_sender="alerts@example.com",
        timeout=2.0,
        allow_private=True,
    )


@pytest.mark.parametrize(
    ("kind", "target", "secrets", "expected"),
    [
        (ChannelType.slack, {}, {"webhook_url": "https://hooks.slack.com/services/T/B/x"}, SlackSender),
        (ChannelType.webhook, {}, {"url": "https://example.com/hook", "secret": HMAC_SECRET}, WebhookSender),
        (ChannelType.webhook, {}, {"url": "https://example.com/hook"}, WebhookSender),
        (ChannelType.email, {"to": ["oncall@example.com"]}, {}, EmailSender),
        (ChannelType.sns, {"topic_arn": TOPIC_ARN}, {}, SnsSender),
    ],
)
def test_sender_for_each_channel_type_builds_its_sender(
    session: requests.Session,
    aws: boto3.Session,
    kind: ChannelType,
    target: dict[str, object],
    secrets: dict[str, str],
    expected: type,
) -> None:
    assert isinstance(_build(_channel(kind, target), secrets, session, aws), expected)


def test_sender_for_slack_sends_to_the_secret_webhook_url(
    receiver: Receiver, session: requests.Session, aws: boto3.Session
) -> None:
    sender = _build(_channel(ChannelType.slack), {"webhook_url": receiver.url(SLACK_PATH)}, session, aws)

    sender.send(make_message())

    assert len(receiver.received(SLACK_PATH)) == 1


def test_sender_for_webhook_signs_with_the_secret(
    receiver: Receiver, session: requests.Session, aws: boto3.Session
) -> None:
    secrets = {"url": receiver.url(WEBHOOK_PATH), "secret": HMAC_SECRET}

    _build(_channel(ChannelType.webhook), secrets, session, aws).send(make_message())

    (request,) = receiver.received(WEBHOOK_PATH)
    assert request.headers["X-Signature"].startswith("sha256=")


def test_sender_for_ignores_secrets_the_type_does_not_have(session: requests.Session, aws: boto3.Session) -> None:
    # Given an SNS channel handed an unrelated secret
    channel = _channel(ChannelType.sns, {"topic_arn": TOPIC_ARN})

    assert isinstance(_build(channel, {"webhook_url": "https://x.example"}, session, aws), SnsSender)


def test_sender_for_missing_secret_is_permanent_and_names_the_field(
    session: requests.Session, aws: boto3.Session
) -> None:
    with pytest.raises(DeliveryError) as caught:
        _build(_channel(ChannelType.slack), {}, session, aws)

    assert (str(caught.value), caught.value.retryable) == (
        "slack channel is misconfigured: webhook_url: Field required",
        False,
    )


def test_sender_for_invalid_secret_is_not_echoed(session: requests.Session, aws: boto3.Session) -> None:
    # Given an HMAC key too short to be valid (still a secret)
    secrets = {"url": "https://example.com/hook", "secret": "tiny"}

    with pytest.raises(DeliveryError) as caught:
        _build(_channel(ChannelType.webhook), secrets, session, aws)

    assert "tiny" not in str(caught.value)
    assert str(caught.value).startswith("webhook channel is misconfigured: secret: ")


@pytest.mark.parametrize(
    ("target", "source"),
    [
        ({"to": ["a@example.com"], "sender": "team@example.com"}, "team@example.com"),
        ({"to": ["a@example.com"]}, "alerts@example.com"),
    ],
)
def test_sender_for_email_sends_from_the_channels_sender_or_the_deployments(
    session: requests.Session, aws: boto3.Session, target: dict[str, object], source: str
) -> None:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    with mock_aws():
        ses = boto3.client("ses", region_name="us-east-1")
        ses.verify_email_identity(EmailAddress=source)
        sender = sender_for(
            _channel(ChannelType.email, target),
            {},
            session=session,
            ses_client=ses,
            sns_client=None,
            email_sender="alerts@example.com",
            timeout=2.0,
            allow_private=True,
        )
        sender.send(make_message())
        assert ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages[-1].source == source
