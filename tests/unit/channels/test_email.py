"""E-mail through SES: subject, escaped HTML, text body, and error classification."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses import ses_backends

from alerting.channels.base import Message
from alerting.channels.email import EmailSender, html_body, text_body
from alerting.errors import DeliveryError
from alerting.models.channels import MessageTemplate
from alerting.models.common import AlertEvent
from tests.unit.channels.builders import acknowledged, alert_rule, make_alert, make_message, resolved

SENDER = "alerts@example.com"
TO = ["oncall@example.com", "team@example.com"]


@pytest.fixture
def ses(aws: boto3.Session) -> Iterator[Any]:
    with mock_aws():
        client = aws.client("ses")
        client.verify_email_identity(EmailAddress=SENDER)
        yield client


def _sent() -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def test_email_send_delivers_subject_html_and_returns_message_id(ses: Any) -> None:
    receipt = EmailSender(ses, sender=SENDER, to=TO).send(make_message(console_url="https://alerts.example.com"))

    (mail,) = _sent()
    assert (mail.source, mail.destinations["ToAddresses"], mail.subject) == (
        SENDER,
        TO,
        "[FIRING][HIGH] High CPU Usage",
    )
    assert receipt.provider_message_id == mail.id
    # moto keeps the HTML part when both are sent
    assert "<h2>[FIRING][HIGH] High CPU Usage</h2>" in mail.body
    assert "91.2 (threshold ≥ 85)" in mail.body
    assert '<a href="https://runbooks.example.com/high-cpu">' in mail.body
    assert '<a href="https://alerts.example.com/alerts/alert-1">alert-1</a>' in mail.body


@pytest.mark.parametrize(
    ("message", "subject"),
    [
        (make_message(), "[FIRING][HIGH] High CPU Usage"),
        (make_message(acknowledged(make_alert())), "[ACKNOWLEDGED][HIGH] High CPU Usage"),
        (make_message(resolved(make_alert())), "[RESOLVED][HIGH] High CPU Usage"),
        (make_message(event=AlertEvent.escalated), "[ESCALATED][HIGH] High CPU Usage"),
        (make_message(event=AlertEvent.repeat), "[REPEAT][HIGH] High CPU Usage"),
        (make_message(make_alert(alert_rule(severity="critical"))), "[FIRING][CRITICAL] High CPU Usage"),
    ],
)
def test_email_send_subject_names_event_severity_and_rule(ses: Any, message: Message, subject: str) -> None:
    EmailSender(ses, sender=SENDER, to=TO).send(message)

    assert _sent()[0].subject == subject


def test_email_text_body_lists_values_start_series_and_links() -> None:
    message = make_message(console_url="https://alerts.example.com")

    assert text_body(message, "CPU is high") == (
        "[FIRING][HIGH] High CPU Usage\n"
        "\n"
        "CPU is high\n"
        "\n"
        "App/Service CPUUtilization{Service=web} Average: 91.2 (threshold ≥ 85)\n"
        "Started: 2026-11-26 16:00 UTC\n"
        "Series: Service=web\n"
        "Severity: high · performance\n"
        "Rule: High CPU Usage (high-cpu)\n"
        "Runbook: https://runbooks.example.com/high-cpu\n"
        "Alert: alert-1\n"
    )


def test_email_html_body_escapes_every_alert_value() -> None:
    # Given alert data full of markup
    rule = alert_rule(
        name="<script>x</script>",
        labels={"team": "a"},
        annotations={
            "summary": "<b>bold</b> & co",
            "owner": "<img src=x onerror=alert(1)>",
            "runbook_url": "javascript:x",
        },
    )

    body = html_body(make_message(make_alert(rule)), "<i>summary</i>")

    assert "<script>" not in body and "<img" not in body and "<i>" not in body
    assert "&lt;script&gt;x&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "javascript:" not in body  # not a web URL: no link, no row


def test_email_send_resolved_says_who_and_when(ses: Any) -> None:
    EmailSender(ses, sender=SENDER, to=TO).send(make_message(resolved(make_alert(), by="bob")))

    assert "Resolved by bob (manual) at 2026-11-26 16:12 UTC after 12m 0s" in _sent()[0].body


def test_email_send_template_replaces_subject_and_summary(ses: Any) -> None:
    template = MessageTemplate(subject="{{ rule_name }}\r\nBcc: evil@example.com", body="Now {{ value }}")

    receipt = EmailSender(ses, sender=SENDER, to=TO).send(make_message(template=template))

    (mail,) = _sent()
    assert mail.subject == "High CPU Usage Bcc: evil@example.com"  # one header line, no injection
    assert "Now 91.2" in mail.body
    assert receipt.template_error is None


def test_email_send_failing_template_falls_back_and_reports(ses: Any) -> None:
    template = MessageTemplate(subject="{{ alert.nope.deeper }}")

    receipt = EmailSender(ses, sender=SENDER, to=TO).send(make_message(template=template))

    assert _sent()[0].subject == "[FIRING][HIGH] High CPU Usage"
    assert receipt.template_error is not None and receipt.template_error.startswith("subject: ")


def test_email_send_unverified_sender_is_permanent(ses: Any) -> None:
    with pytest.raises(DeliveryError) as caught:
        EmailSender(ses, sender="nobody@unverified.example", to=TO).send(make_message())

    assert caught.value.retryable is False
    assert str(caught.value).startswith("ses send_email failed: MessageRejected")


@pytest.mark.parametrize(
    ("code", "status", "retryable"),
    [
        ("Throttling", 400, True),
        ("ThrottlingException", 400, True),
        ("ServiceUnavailable", 503, True),
        ("InternalFailure", 500, True),
        ("MessageRejected", 400, False),
        ("MailFromDomainNotVerified", 400, False),
        ("InvalidParameterValue", 400, False),
    ],
)
def test_email_send_client_errors_are_classified(aws: boto3.Session, code: str, status: int, retryable: bool) -> None:
    # Given SES answers with an error (stubbed: moto never throttles)
    client = aws.client("ses")
    with Stubber(client) as stub:
        stub.add_client_error("send_email", service_error_code=code, http_status_code=status)

        with pytest.raises(DeliveryError) as caught:
            EmailSender(client, sender=SENDER, to=TO).send(make_message())

    assert caught.value.retryable is retryable
