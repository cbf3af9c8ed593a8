"""SNS: the document as a String message, filterable attributes, a subject SNS accepts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from alerting.channels.sns import MAX_MESSAGE_BYTES, SnsSender, subject
from alerting.errors import DeliveryError
from alerting.models.channels import MessageTemplate
from alerting.payload import document
from tests.unit.channels.builders import alert_rule, make_alert, make_message

TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:alerts"


@dataclass
class Topic:
    sns: Any
    sqs: Any
    arn: str
    queue_url: str

    def received(self) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in response.get("Messages", [])]


@pytest.fixture
def topic(aws: boto3.Session) -> Iterator[Topic]:
    """An SNS topic with an SQS subscriber that only wants critical and high alerts."""
    with mock_aws():
        sns = aws.client("sns")
        sqs = aws.client("sqs")
        arn = sns.create_topic(Name="alerts")["TopicArn"]
        queue_url = sqs.create_queue(QueueName="paging")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(
            TopicArn=arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes={"FilterPolicy": json.dumps({"severity": ["critical", "high"]})},
        )
        yield Topic(sns, sqs, arn, queue_url)


def test_sns_send_publishes_document_with_filterable_attributes(topic: Topic) -> None:
    message = make_message()

    receipt = SnsSender(topic.sns, topic.arn).send(message)

    (envelope,) = topic.received()
    assert json.loads(envelope["Message"]) == document(message.alert, message.event, message.delivery_id)
    assert envelope["Subject"] == "[FIRING][HIGH] High CPU Usage"
    assert envelope["MessageId"] == receipt.provider_message_id
    assert {k: v["Value"] for k, v in envelope["MessageAttributes"].items()} == {
        "severity": "high",
        "status": "firing",
        "category": "performance",
        "rule_id": "high-cpu",
        "event": "firing",
    }


def test_sns_send_filter_policy_holds_back_other_severities(topic: Topic) -> None:
    # Given the subscriber filters on severity critical/high
    sender = SnsSender(topic.sns, topic.arn)

    # When a medium and a critical alert are published
    sender.send(make_message(make_alert(alert_rule(severity="medium"))))
    sender.send(make_message(make_alert(alert_rule(severity="critical"))))

    # Then only the critical one arrives
    assert [e["MessageAttributes"]["severity"]["Value"] for e in topic.received()] == ["critical"]


def test_sns_send_request_is_a_string_message_never_message_structure_json(aws: boto3.Session) -> None:
    # Given the exact request SNS must receive (attributes are dropped with MessageStructure=json)
    client = aws.client("sns")
    message = make_message()
    expected = {
        "TopicArn": TOPIC_ARN,
        "Message": json.dumps(
            document(message.alert, message.event, message.delivery_id), sort_keys=True, separators=(",", ":")
        ),
        "Subject": "[FIRING][HIGH] High CPU Usage",
        "MessageAttributes": ANY,
    }
    with Stubber(client) as stub:
        stub.add_response("publish", {"MessageId": "m-1"}, expected)

        receipt = SnsSender(client, TOPIC_ARN).send(message)

    assert receipt.provider_message_id == "m-1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[FIRING][HIGH] High CPU Usage", "[FIRING][HIGH] High CPU Usage"),
        ("CPU ≥ 85 %\r\non web\t", "CPU 85 % on web"),
        ("Café déjà vu", "Cafe deja vu"),
        ("\x00\x07", "Alert"),
        ("x" * 150, "x" * 96 + "..."),
    ],
)
def test_sns_subject_is_printable_ascii_under_100(text: str, expected: str) -> None:
    assert subject(text) == expected


def test_sns_send_template_subject_is_folded_to_fit(topic: Topic) -> None:
    template = MessageTemplate(subject="{{ rule_name }} — {{ '∞' * 200 }}{{ rule_name * 10 }}")

    SnsSender(topic.sns, topic.arn).send(make_message(template=template))

    (envelope,) = topic.received()
    assert envelope["Subject"].startswith("High CPU Usage High CPU Usage")
    assert len(envelope["Subject"]) < 100


def test_sns_send_huge_annotations_fit_the_message_limit(topic: Topic) -> None:
    # Given twenty 20,000-character annotations (400 kB of text)
    annotations = {f"note{i}": "A" * 20_000 for i in range(20)}

    alert = make_alert().model_copy(update={"annotations": annotations})
    SnsSender(topic.sns, topic.arn).send(make_message(alert))

    (envelope,) = topic.received()
    assert len(envelope["Message"].encode()) <= MAX_MESSAGE_BYTES
    assert json.loads(envelope["Message"])["alert"]["annotations"]["note0"].endswith("…")


@pytest.mark.parametrize(
    ("code", "status", "retryable"),
    [
        ("Throttled", 429, True),
        ("ThrottlingException", 400, True),
        ("Throttling", 400, True),
        ("InternalError", 500, True),
        ("KMSThrottling", 400, True),
        ("InvalidParameter", 400, False),
        ("NotFound", 404, False),
        ("AuthorizationError", 403, False),
    ],
)
def test_sns_send_client_errors_are_classified(aws: boto3.Session, code: str, status: int, retryable: bool) -> None:
    client = aws.client("sns")
    with Stubber(client) as stub:
        stub.add_client_error("publish", service_error_code=code, http_status_code=status)

        with pytest.raises(DeliveryError) as caught:
            SnsSender(client, TOPIC_ARN).send(make_message())

    assert caught.value.retryable is retryable


def test_sns_send_missing_topic_is_permanent(topic: Topic) -> None:
    with pytest.raises(DeliveryError) as caught:
        SnsSender(topic.sns, "arn:aws:sns:us-east-1:123456789012:gone").send(make_message())

    assert caught.value.retryable is False
