"""The alerts stream → the notifier, the way Lambda's event source mapping does it.

Records are read with ``dynamodbstreams`` from moto, shaped exactly like Lambda's DynamoDB
stream event, batched by the mapping's ``BatchSize``, and handed to the handler. A
``batchItemFailures`` answer is honoured as Lambda does: the batch is checkpointed before the
lowest failed sequence number and retried from there, up to ``MaximumRetryAttempts``; then the
batch is reported to the ``OnFailure`` queue and skipped. Settings come from the template.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from alerting_local.lambda_runtime import LambdaContext
from alerting_local.template import Stack


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A `GetRecords` record as Lambda delivers it (epoch timestamps, the source ARN added)."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        change["ApproximateCreationDateTime"] = int(created.timestamp())
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", "us-east-1"),
        "dynamodb": change,
        "eventSourceARN": stream_arn,
    }


@dataclass
class StreamMapping:
    """One DynamoDB stream event source mapping, configured from the function's template event."""

    stack: Stack
    function: str
    event_name: str
    streams: Any  # dynamodbstreams client
    sqs: Any
    handler: Callable[[dict[str, Any], Any], Any]
    pending: list[dict[str, Any]] = field(default_factory=list)
    invocations: int = 0
    _positions: dict[str, str] = field(default_factory=dict)  # shard → last sequence number read

    @property
    def properties(self) -> dict[str, Any]:
        event = self.stack.template["Resources"][self.function]["Properties"]["Events"][self.event_name]
        props: dict[str, Any] = event["Properties"]
        return props

    @property
    def stream_arn(self) -> str:
        return str(self.stack.resolve(self.properties["Stream"]))

    def poll(self) -> int:
        """Read new records from every shard into the pending queue.

        Each poll asks for a fresh iterator after the last sequence number read: moto's
        ``TransactWriteItems`` rolls a cancelled transaction back by swapping in copies of its
        tables, and an iterator kept from before would go on reading the orphaned shard."""
        description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        # LATEST reads what is written after the mapping exists; the local stack creates its
        # mappings with the tables, empty, so that is the whole stream too.
        if self.properties["StartingPosition"] not in ("TRIM_HORIZON", "LATEST"):
            raise NotImplementedError(f"starting position {self.properties['StartingPosition']}")
        added = 0
        for shard in description["Shards"]:
            shard_id = shard["ShardId"]
            position = self._positions.get(shard_id)
            where: dict[str, str] = (
                {"ShardIteratorType": "TRIM_HORIZON"}
                if position is None
                else {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": position}
            )
            records = self._read(shard_id, where)
            if records:
                self._positions[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
            self.pending.extend(lambda_record(r, self.stream_arn) for r in records)
            added += len(records)
        return added

    def history(self) -> list[dict[str, Any]]:
        """Every record still in the stream, as Lambda would deliver it (what a redelivery sends)."""
        description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        where = {"ShardIteratorType": "TRIM_HORIZON"}
        return [
            lambda_record(r, self.stream_arn) for s in description["Shards"] for r in self._read(s["ShardId"], where)
        ]

    def _read(self, shard_id: str, where: dict[str, str]) -> list[dict[str, Any]]:
        iterator = self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard_id, **where)
        records: list[dict[str, Any]] = self.streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)[
            "Records"
        ]
        return records

    def drain(self) -> list[dict[str, Any]]:
        """Deliver every pending record; returns the handler's answers (for timelines)."""
        answers = []
        size = int(self.properties.get("BatchSize", 100))
        max_retries = int(self.properties.get("MaximumRetryAttempts", -1))
        retries = 0
        while self.pending:
            batch = self.pending[:size]
            self.invocations += 1
            try:
                answer = self.handler({"Records": batch}, LambdaContext(self.function)) or {}
            except Exception:  # a function error: the whole batch failed
                answer = {"batchItemFailures": [{"itemIdentifier": batch[0]["dynamodb"]["SequenceNumber"]}]}
            answers.append(answer)
            failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
            if not failed:
                del self.pending[: len(batch)]
                retries = 0
                continue
            first = min(i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in failed)
            del self.pending[:first]  # checkpoint: records before the first failure are done
            if 0 <= max_retries <= retries:
                self._on_failure(self.pending[: len(batch) - first])
                del self.pending[: len(batch) - first]
                retries = 0
            else:
                retries += 1
        return answers

    def _on_failure(self, records: list[dict[str, Any]]) -> None:
        destination = self.properties.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        if destination is None:
            return
        queue_name = self.stack.resolve(destination).rsplit(":", 1)[-1]
        url = self.sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        first, last = records[0]["dynamodb"]["SequenceNumber"], records[-1]["dynamodb"]["SequenceNumber"]
        self.sqs.send_message(
            QueueUrl=url,
            MessageBody=json.dumps(
                {
                    "requestContext": {"condition": "RetryAttemptsExhausted", "functionArn": self.function},
                    "DDBStreamBatchInfo": {
                        "startSequenceNumber": first,
                        "endSequenceNumber": last,
                        "batchSize": len(records),
                        "streamArn": self.stream_arn,
                    },
                }
            ),
        )
