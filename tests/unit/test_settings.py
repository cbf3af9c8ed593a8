"""Settings: what the deploy parameters become once parsed."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from alerting.settings import SMS_COUNTRY_CODES, DeliverySettings
from alerting_local.template import load_template

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


@pytest.mark.parametrize(("codes", "destinations"), [("", ()), ("49", ("49",)), ("49,44,1", ("49", "44", "1"))])
def test_sms_destinations_are_the_listed_calling_codes(codes: str, destinations: tuple[str, ...]) -> None:
    assert delivery(SMS_COUNTRY_CODES=codes).sms_destinations == destinations


@pytest.mark.parametrize("codes", ["+49", "49, 44", "49,,44", "DE", "12345"])
def test_sms_country_codes_in_any_other_form_are_refused(codes: str) -> None:
    with pytest.raises(ValidationError):
        delivery(SMS_COUNTRY_CODES=codes)


def test_sms_country_codes_take_what_the_template_parameter_allows() -> None:
    assert load_template()["Parameters"]["SmsCountryCodes"]["AllowedPattern"] == SMS_COUNTRY_CODES
