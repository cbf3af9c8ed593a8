"""SMS through SNS (``Publish(PhoneNumber=...)``): a page to a person, at most 140 characters.

The text is the channel template's body when set, else ``FIRING HIGH High CPU: <headline>``;
plain ASCII is kept where it can be (a non-GSM character halves an SMS to 70 characters), and
the end is kept for what lets the person acknowledge: the message's acknowledge link
(``Ack: <url>``, `alerting.ack_links`), else the alert id. Sent as Transactional.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from alerting.channels.base import GroupMessage, Message, Receipt
from alerting.channels.failures import aws_error
from alerting.channels.render import group_lines, group_title, headline, render_template

LABEL = "sms publish"
MAX_LENGTH = 140


class SmsSender:
    def __init__(self, sns_client: Any, phone_number: str) -> None:
        self._client = sns_client
        self._phone_number = phone_number

    def send(self, message: Message) -> Receipt:
        rendered = render_template(message)
        return Receipt(
            provider_message_id=self._publish(sms_text(message, rendered.body)), template_error=rendered.error
        )

    def send_group(self, group: GroupMessage) -> Receipt:
        text = fit(f"{group_title(group)}: {'; '.join(group_lines(group, limit=3))}", "")
        return Receipt(provider_message_id=self._publish(text))

    def _publish(self, text: str) -> str:
        try:
            response = self._client.publish(
                PhoneNumber=self._phone_number,
                Message=text,
                MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
            )
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(LABEL, exc) from None
        return str(response["MessageId"])


def destination_allowed(phone_number: str, country_codes: Collection[str]) -> bool:
    """Whether an E.164 number (``+4915112345678``) is in a country the deployment sends to:
    its digits begin with one of ``country_codes`` (calling codes such as ``49`` or ``1``, or
    longer prefixes such as ``1204``; calling codes never begin another, so a prefix is exact).
    No codes: every country."""
    return not country_codes or any(phone_number.removeprefix("+").startswith(code) for code in country_codes)


def sms_text(message: Message, body: str | None = None) -> str:
    """One SMS: the text, folded to one line and cut to fit before the acknowledge link (or the alert id)."""
    alert = message.alert
    text = body or f"{message.event.value.upper()} {alert.severity.value.upper()} {alert.rule_name}: {headline(alert)}"
    return fit(text, f" Ack: {message.ack_url}" if message.ack_url else f" #{alert.alert_id}")


def fit(text: str, ref: str) -> str:
    """ASCII on one line, cut to leave room for ``ref`` within one SMS."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode() or text
    folded = " ".join(plain.split())
    room = MAX_LENGTH - len(ref)
    if len(folded) > room:
        folded = folded[: room - 3].rstrip() + "..."
    return folded + ref
