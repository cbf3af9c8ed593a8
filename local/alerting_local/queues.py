"""An SQS queue → a function, the way Lambda's SQS event source mapping does it.

Messages are received from moto (only those visible: a message delay is honoured in real
time), shaped exactly like Lambda's SQS event, and handed over in batches of the mapping's
``BatchSize``; the ones the handler does not report in ``batchItemFailures`` are deleted, the
others stay for their visibility timeout, as on AWS. Settings come from the template.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from alerting_local.lambda_runtime import LambdaContext
from alerting_local.template import Stack


def lambda_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1",
    }


@dataclass
class QueueMapping:
    stack: Stack
    function: str
    event_name: str
    sqs: Any
    handler: Callable[[dict[str, Any], Any], Any]
    invocations: int = 0

    @property
    def properties(self) -> dict[str, Any]:
        event = self.stack.template["Resources"][self.function]["Properties"]["Events"][self.event_name]
        props: dict[str, Any] = event["Properties"]
        return props

    def drain(self) -> list[dict[str, Any]]:
        """Deliver every message visible now; returns the handler's answers."""
        queue_arn = str(self.stack.resolve(self.properties["Queue"]))
        url = self.sqs.get_queue_url(QueueName=queue_arn.rsplit(":", 1)[-1])["QueueUrl"]
        size = min(10, int(self.properties.get("BatchSize", 10)))
        answers: list[dict[str, Any]] = []
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=size, AttributeNames=["All"], MessageAttributeNames=["All"]
            ).get("Messages", [])
            if not messages:
                return answers
            self.invocations += 1
            answer = (
                self.handler({"Records": [lambda_record(m, queue_arn) for m in messages]}, LambdaContext(self.function))
                or {}
            )
            answers.append(answer)
            failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
            done = [m for m in messages if m["MessageId"] not in failed]
            if done:
                self.sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
                )
