"""sender_for: a stored channel plus its secrets becomes the right, working sender."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws

from alerting.channels import EmailSender, SlackSender, SmsSender, SnsSender, TeamsSender, WebhookSender, sender_for
from alerting.channels.http import HttpClient
from alerting.errors import DeliveryError
from alerting.models.channels import Channel, ChannelType
from alerting_local.receiver import Receiver
from tests.unit.channels.builders import HMAC_SECRET, SLACK_PATH, TEAMS_PATH, TEAMS_QUERY, WEBHOOK_PATH, make_message

TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:alerts"


def _channel(kind: ChannelType, target: dict[str, object] | None = None) -> Channel:
    return Channel(channel_id="ch-1", name="on-call", type=kind, target=target or {})


def _build(channel: Channel, secrets: dict[str, str], http: HttpClient, aws: boto3.Session) -> Any:
    return sender_for(
        channel,
        secrets,
        http=http,
        ses_client=aws.client("ses"),
        sns_client=aws.client("sns"),
        email_sender="alerts@example.com",
        timeout=2.0,
    )


@pytest.mark.parametrize(
    ("kind", "target", "secrets", "expected"),
    [
        (ChannelType.slack, {}, {"webhook_url": "https://hooks.slack.com/services/T/B/x"}, SlackSender),
        (ChannelType.teams, {}, {"webhook_url": "https://prod-1.westus.logic.azure.com/workflows/x"}, TeamsSender),
        (ChannelType.webhook, {}, {"url": "https://example.com/hook", "secret": HMAC_SECRET}, WebhookSender),
        (ChannelType.webhook, {}, {"url": "https://example.com/hook"}, WebhookSender),
        (ChannelType.email, {"to": ["oncall@example.com"]}, {}, EmailSender),
        (ChannelType.sns, {"topic_arn": TOPIC_ARN}, {}, SnsSender),
    ],
)
def test_sender_for_each_channel_type_builds_its_sender(
    http: HttpClient,
    aws: boto3.Session,
    kind: ChannelType,
    target: dict[str, object],
    secrets: dict[str, str],
    expected: type,
) -> None:
    assert isinstance(_build(_channel(kind, target), secrets, http, aws), expected)


def test_sender_for_slack_sends_to_the_secret_webhook_url(
    receiver: Receiver, http: HttpClient, aws: boto3.Session
) -> None:
    sender = _build(_channel(ChannelType.slack), {"webhook_url": receiver.url(SLACK_PATH)}, http, aws)

    sender.send(make_message())

    assert len(receiver.received(SLACK_PATH)) == 1


def test_sender_for_teams_sends_a_card_to_the_secret_workflow_url(
    receiver: Receiver, http: HttpClient, aws: boto3.Session
) -> None:
    sender = _build(_channel(ChannelType.teams), {"webhook_url": receiver.url(TEAMS_PATH) + TEAMS_QUERY}, http, aws)

    sender.send(make_message())

    (request,) = receiver.received(TEAMS_PATH)
    assert request.json["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"


def test_sender_for_webhook_signs_with_the_secret(receiver: Receiver, http: HttpClient, aws: boto3.Session) -> None:
    secrets = {"url": receiver.url(WEBHOOK_PATH), "secret": HMAC_SECRET}

    _build(_channel(ChannelType.webhook), secrets, http, aws).send(make_message())

    (request,) = receiver.received(WEBHOOK_PATH)
    assert request.headers["X-Signature"].startswith("sha256=")


def test_sender_for_ignores_secrets_the_type_does_not_have(http: HttpClient, aws: boto3.Session) -> None:
    # Given an SNS channel handed an unrelated secret
    channel = _channel(ChannelType.sns, {"topic_arn": TOPIC_ARN})

    assert isinstance(_build(channel, {"webhook_url": "https://x.example"}, http, aws), SnsSender)


def test_sender_for_missing_secret_is_permanent_and_names_the_field(http: HttpClient, aws: boto3.Session) -> None:
    with pytest.raises(DeliveryError) as caught:
        _build(_channel(ChannelType.slack), {}, http, aws)

    assert (str(caught.value), caught.value.retryable) == (
        "slack channel is misconfigured: webhook_url: Field required",
        False,
    )


def test_sender_for_invalid_secret_is_not_echoed(http: HttpClient, aws: boto3.Session) -> None:
    # Given an HMAC key too short to be valid (still a secret)
    secrets = {"url": "https://example.com/hook", "secret": "tiny"}

    with pytest.raises(DeliveryError) as caught:
        _build(_channel(ChannelType.webhook), secrets, http, aws)

    assert "tiny" not in str(caught.value)
    assert str(caught.value).startswith("webhook channel is misconfigured: secret: ")


@pytest.mark.parametrize(
    ("target", "source"),
    [
        ({"to": ["a@example.com"], "sender": "Team@example.com"}, "Team@example.com"),
        ({"to": ["a@example.com"]}, "alerts@example.com"),
        # stored in another case (before senders were stored as the deployment spells them): sent
        # from the spelling the IAM condition names, or SES would refuse it
        ({"to": ["a@example.com"], "sender": "TEAM@EXAMPLE.COM"}, "Team@example.com"),
        ({"to": ["a@example.com"], "sender": "Alerts@Example.com"}, "alerts@example.com"),
    ],
)
def test_sender_for_email_sends_from_the_channels_sender_or_the_deployments(
    http: HttpClient, aws: boto3.Session, target: dict[str, object], source: str
) -> None:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    with mock_aws():
        ses = boto3.client("ses", region_name="us-east-1")
        ses.verify_email_identity(EmailAddress=source)
        sender = sender_for(
            _channel(ChannelType.email, target),
            {},
            http=http,
            ses_client=ses,
            sns_client=None,
            email_sender="alerts@example.com",
            email_senders={"team@example.com": "Team@example.com"},
            timeout=2.0,
        )
        sender.send(make_message())
        assert ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages[-1].source == source


def test_sender_for_email_from_a_sender_outside_the_allow_list_is_permanent(http: HttpClient) -> None:
    # Given a channel stored naming a sender the deployment does not allow (any verified identity)
    channel = _channel(ChannelType.email, {"to": ["a@example.com"], "sender": "ceo@example.com"})

    with pytest.raises(DeliveryError) as caught:
        sender_for(
            channel, {}, http=http, ses_client=None, sns_client=None, email_sender="alerts@example.com", timeout=2.0
        )

    assert (str(caught.value), caught.value.retryable) == (
        "email channel is misconfigured: sender is not an allowed sender",
        False,
    )


def _sms(http: HttpClient, codes: tuple[str, ...]) -> Any:
    """The sender of an SMS channel to a German number, under the deployment's ``codes``."""
    channel = _channel(ChannelType.sms, {"phone_number": "+4915112345678"})
    return sender_for(
        channel,
        {},
        http=http,
        ses_client=None,
        sns_client=None,
        email_sender="alerts@example.com",
        sms_country_codes=codes,
        timeout=2.0,
    )


@pytest.mark.parametrize("codes", [(), ("44", "49")], ids=["every-country", "listed"])
def test_sender_for_sms_to_an_allowed_country_builds_its_sender(http: HttpClient, codes: tuple[str, ...]) -> None:
    assert isinstance(_sms(http, codes), SmsSender)


def test_sender_for_sms_outside_the_allowed_countries_is_permanent(http: HttpClient) -> None:
    # Given a channel stored before the allow-list changed: nothing is sent, for good, saying why
    with pytest.raises(DeliveryError) as caught:
        _sms(http, ("44", "1"))

    assert (str(caught.value), caught.value.retryable) == (
        "sms channel is misconfigured: phone_number is outside the allowed country codes",
        False,
    )
