"""Every channel passes the same suite: one payload per send that fits the provider's limits,
retryable vs permanent failures, no secret in an error, a traceback or a log line, and no
markup (a Slack mention or link, Teams Markdown, an HTML tag) formed by alert data or a template."""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses import ses_backends
from moto.sns import sns_backends

from alerting.channels import EmailSender, Sender, SlackSender, SmsSender, SnsSender, TeamsSender, WebhookSender
from alerting.channels.base import Message
from alerting.channels.http import HttpClient
from alerting.errors import DeliveryError
from alerting.models.channels import MessageTemplate
from alerting_local.receiver import Receiver, Reply
from tests.factories import condition, metric
from tests.unit.channels.builders import (
    HMAC_SECRET,
    SLACK_PATH,
    TEAMS_PATH,
    TEAMS_QUERY,
    WEBHOOK_PATH,
    alert_rule,
    hostile_alert,
    make_alert,
    make_message,
    slack_unescaped,
    teams_unescaped,
)

CHANNELS = ("slack", "teams", "email", "webhook", "sns", "sms")
HTTP_PATHS = {"slack": SLACK_PATH, "teams": TEAMS_PATH, "webhook": WEBHOOK_PATH}
HTTP_LIMITS = {"slack": 40_000, "teams": 28_000, "webhook": 1024 * 1024}  # bytes; Teams: "about 28 KB"
MARKUP = {"slack": slack_unescaped, "teams": teams_unescaped}
SENDER = "alerts@example.com"


@dataclass
class Harness:
    """One channel wired to a local stand-in of its provider."""

    sender: Sender
    payloads: Callable[[], list[str]]  # what reached the provider, in order
    max_bytes: int  # the provider's size limit for one message
    json_payload: bool
    secrets: tuple[str, ...]
    failing: Callable[[bool], Sender]  # a sender whose next send fails (retryable or not)
    templated: bool = True  # renders the channel template (a webhook's body is the document)
    # The markup alert data formed in a payload; None where the payload is data, not markup
    # (a JSON document, an SMS), so a value there is just a value.
    markup: Callable[[str], list[str]] | None = None


def _http_harness(kind: str, receiver: Receiver, http: HttpClient) -> Harness:
    path = HTTP_PATHS[kind]
    url = receiver.url(path) + (TEAMS_QUERY if kind == "teams" else "")

    def build() -> Sender:
        if kind == "slack":
            return SlackSender(http, url, timeout=2.0)
        if kind == "teams":
            return TeamsSender(http, url, timeout=2.0)
        return WebhookSender(http, url, secret=HMAC_SECRET, timeout=2.0)

    def failing(retryable: bool) -> Sender:
        receiver.script(path, Reply.server_error() if retryable else Reply(400, f"bad request to {url}"))
        return build()

    unescaped = MARKUP.get(kind)

    def markup(payload: str) -> list[str]:
        return unescaped(json.loads(payload)) if unescaped else []

    return Harness(
        sender=build(),
        payloads=lambda: [r.body.decode() for r in receiver.received(path)],
        max_bytes=HTTP_LIMITS[kind],
        json_payload=True,
        secrets=(_secret_segment(kind, path), url, HMAC_SECRET, TEAMS_QUERY.rsplit("=", 1)[1]),
        failing=failing,
        templated=kind != "webhook",
        markup=markup if unescaped else None,
    )


def _secret_segment(kind: str, path: str) -> str:
    """The secret part of an HTTP channel's path: a Teams flow's id, Slack's and a webhook's last."""
    return path.split("/")[2] if kind == "teams" else path.rsplit("/", 1)[1]


def _stubbed(aws: boto3.Session, service: str, operation: str, code: str) -> Any:
    client = aws.client(service)
    stub = Stubber(client)
    stub.add_client_error(operation, service_error_code=code, http_status_code=400)
    stub.activate()
    return client


def _email_harness(aws: boto3.Session) -> Harness:
    ses = aws.client("ses")
    ses.verify_email_identity(EmailAddress=SENDER)
    to = ["oncall@example.com"]
    return Harness(
        sender=EmailSender(ses, sender=SENDER, to=to),
        payloads=lambda: [m.body for m in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages],
        max_bytes=10 * 1024 * 1024,
        json_payload=False,
        secrets=(),
        markup=lambda html: [
            tag for tag in ("<!channel>", "<https://evil.example", 'href="https://evil') if tag in html
        ],
        failing=lambda retryable: EmailSender(
            _stubbed(aws, "ses", "send_email", "Throttling" if retryable else "MessageRejected"),
            sender=SENDER,
            to=to,
        ),
    )


def _sns_harness(aws: boto3.Session) -> Harness:
    sns = aws.client("sns")
    sqs = aws.client("sqs")
    arn = sns.create_topic(Name="alerts")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="all")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})

    def payloads() -> list[str]:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return [m["Body"] for m in messages]

    return Harness(
        sender=SnsSender(sns, arn),
        payloads=payloads,
        max_bytes=256 * 1024,
        json_payload=True,
        secrets=(),
        failing=lambda retryable: SnsSender(
            _stubbed(aws, "sns", "publish", "Throttled" if retryable else "InvalidParameter"), arn
        ),
    )


def _sms_harness(aws: boto3.Session) -> Harness:
    number = "+4915112345678"
    return Harness(
        sender=SmsSender(aws.client("sns"), number),
        payloads=lambda: [text for _, text in sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.values()],
        max_bytes=140,  # one SMS of ASCII text
        json_payload=False,
        secrets=(),
        failing=lambda retryable: SmsSender(
            _stubbed(aws, "sns", "publish", "Throttled" if retryable else "InvalidParameter"), number
        ),
    )


HARNESSES = {"email": _email_harness, "sns": _sns_harness, "sms": _sms_harness}


@pytest.fixture(params=CHANNELS)
def channel(
    request: pytest.FixtureRequest, receiver: Receiver, http: HttpClient, aws: boto3.Session
) -> Iterator[Harness]:
    kind: str = request.param
    if kind in HTTP_PATHS:
        yield _http_harness(kind, receiver, http)
        return
    with mock_aws():
        yield HARNESSES[kind](aws)


def _huge_message() -> Message:
    """Ten conditions and twenty 20,000-character annotations: more than any provider takes."""
    conditions = [condition(metric=metric(f"Metric{i}", namespace="N" * 250)) for i in range(10)]
    annotations = {f"note{i}": "A" * 20_000 for i in range(19)} | {"summary": "S" * 20_000}
    alert = make_alert(alert_rule(name="R" * 200, conditions=conditions))
    return make_message(alert.model_copy(update={"annotations": annotations}))


def test_channel_send_delivers_one_payload_naming_the_alert(channel: Harness) -> None:
    receipt = channel.sender.send(make_message())

    (payload,) = channel.payloads()
    assert "alert-1" in payload
    assert "High CPU Usage" in payload
    assert receipt.template_error is None
    if channel.json_payload:
        json.loads(payload)


def test_channel_send_huge_alert_fits_provider_limits(channel: Harness) -> None:
    channel.sender.send(_huge_message())

    (payload,) = channel.payloads()
    assert len(payload.encode()) <= channel.max_bytes
    if channel.json_payload:
        json.loads(payload)


RUNAWAY = "{% set r = range(100000) %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}"


def test_channel_send_runaway_template_falls_back_to_the_default_text(channel: Harness) -> None:
    # Given a template that would loop for minutes (stored before templates were test-rendered)
    message = make_message(template=MessageTemplate(subject=RUNAWAY, body=RUNAWAY))

    receipt = channel.sender.send(message)

    # Then the send still goes out, with the default text, and says why (a webhook's body is
    # the document, so it renders no template at all)
    (payload,) = channel.payloads()
    assert "High CPU Usage" in payload
    if channel.templated:
        assert receipt.template_error is not None and "too long" in receipt.template_error


@pytest.mark.parametrize("retryable", [True, False], ids=["retryable", "permanent"])
def test_channel_send_failure_says_whether_retry_helps(channel: Harness, retryable: bool) -> None:
    with pytest.raises(DeliveryError) as caught:
        channel.failing(retryable).send(make_message())

    assert caught.value.retryable is retryable


@pytest.mark.parametrize("retryable", [True, False], ids=["retryable", "permanent"])
def test_channel_send_failure_leaks_no_secret(
    channel: Harness, retryable: bool, caplog: pytest.LogCaptureFixture
) -> None:
    # Given logging is on (the notifier logs at INFO) and the provider fails, echoing the request
    caplog.set_level(logging.INFO)

    with pytest.raises(DeliveryError) as caught:
        channel.failing(retryable).send(make_message())

    # Then neither the error, its traceback, nor any log line carries a secret
    shown = str(caught.value) + "".join(traceback.format_exception(caught.value)) + caplog.text
    for secret in channel.secrets:
        assert secret not in shown


HOSTILE_TEMPLATE = MessageTemplate(subject="<!here> {{ series.InstanceId }}", body="<@U0123> {{ series.InstanceId }}")


@pytest.mark.parametrize("template", [None, HOSTILE_TEMPLATE], ids=["default", "template"])
def test_channel_send_alert_data_forms_no_markup(channel: Harness, template: MessageTemplate | None) -> None:
    # Given a dimension value, rule name and annotations that try to ping and link (and a
    # template that tries on its own)
    message = make_message(hostile_alert(), template=template)

    channel.sender.send(message)

    # Then the message carries them as text, never as markup (a document or an SMS is data)
    (payload,) = channel.payloads()
    assert (channel.markup(payload) if channel.markup else []) == []
