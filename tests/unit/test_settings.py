"""Settings: what the deploy parameters become once parsed."""

from __future__ import annotations

from typing import Any

from alerting.settings import DeliverySettings

REQUIRED = {
    "CONFIG_TABLE": "c",
    "ALERTS_TABLE": "a",
    "ALERT_LOG_TABLE": "l",
    "ALERTS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:alerts",
    "SECRETS_PREFIX": "/s/channels",
    "NOTIFIER_DLQ_URL": "https://sqs/dlq",
}


def delivery(**env: str) -> Any:
    return DeliverySettings.from_env(REQUIRED | env)


def test_email_senders_keyed_by_lower_case_keep_the_spelling_iam_names() -> None:
    settings = delivery(EMAIL_SENDER="Alerts@Example.com", OTHER_EMAIL_SENDERS="Team@example.com,ops@EXAMPLE.com")

    assert settings.email_senders == {
        "alerts@example.com": "Alerts@Example.com",
        "team@example.com": "Team@example.com",
        "ops@example.com": "ops@EXAMPLE.com",
    }


def test_email_senders_the_deployments_sender_wins_over_a_repeat_in_another_case() -> None:
    settings = delivery(EMAIL_SENDER="alerts@example.com", OTHER_EMAIL_SENDERS="ALERTS@example.com,")

    assert settings.email_senders == {"alerts@example.com": "alerts@example.com"}
