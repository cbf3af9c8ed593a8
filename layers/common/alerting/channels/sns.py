"""Amazon SNS: the versioned JSON document as a String message, with message attributes
``severity``, ``status``, ``category``, ``rule_id`` and ``event`` for subscribers' filter policies.

Never ``MessageStructure=json``: SNS drops message attributes then. The body is the document
(the contract), so only the channel template's subject is used; SNS subjects must be printable
ASCII without line breaks and under 100 characters, so the subject is folded to fit.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from alerting.channels.base import GroupMessage, Message, Receipt
from alerting.channels.failures import aws_error
from alerting.channels.render import document_json, group_json, group_title, render_template, title
from alerting.models.alerts import Alert
from alerting.models.common import AlertEvent

LABEL = "sns publish"
SUBJECT_LENGTH = 99  # "must be less than 100 characters"
# 256 KiB counts the body and the attributes; the attributes take a few hundred bytes.
MAX_MESSAGE_BYTES = 256 * 1024 - 2048


class SnsSender:
    def __init__(self, sns_client: Any, topic_arn: str) -> None:
        self._client = sns_client
        self._topic_arn = topic_arn

    def send(self, message: Message) -> Receipt:
        rendered = render_template(message, body=False)
        alert = message.alert
        text = document_json(message, MAX_MESSAGE_BYTES)
        message_id = self._publish(alert, message.event, text, rendered.subject or title(alert, message.event))
        return Receipt(provider_message_id=message_id, template_error=rendered.error)

    def send_group(self, group: GroupMessage) -> Receipt:
        """One message: the grouped document; attributes of the group's most urgent alert."""
        text = group_json(group, MAX_MESSAGE_BYTES)
        return Receipt(provider_message_id=self._publish(group.alerts[0], group.event, text, group_title(group)))

    def _publish(self, alert: Alert, event: AlertEvent, text: str, headline: str) -> str:
        attributes = {
            "severity": alert.severity.value,
            "status": alert.status.value,
            "category": alert.category.value,
            "rule_id": alert.rule_id,
            "event": event.value,
        }
        try:
            response = self._client.publish(
                TopicArn=self._topic_arn,
                Message=text,
                Subject=subject(headline),
                MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
            )
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(LABEL, exc) from None
        return str(response["MessageId"])


def subject(text: str) -> str:
    """Printable ASCII on one line, under 100 characters ("≥ 85 %" becomes "85 %")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    folded = " ".join(re.sub(r"[^\x20-\x7e]", " ", ascii_text).split())
    if len(folded) > SUBJECT_LENGTH:
        folded = folded[: SUBJECT_LENGTH - 3].rstrip() + "..."
    return folded or "Alert"
