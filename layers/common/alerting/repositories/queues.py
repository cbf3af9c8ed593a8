"""SQS adapters, each handed its client: every message a function sends to a queue, and the depth
of the dead-letter queues. Message bodies are the callers' (they know what they mean)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from alerting.sharding import Shard, shard_message

BATCH = 10  # SendMessageBatch's limit
MAX_DELAY = 900  # SQS's longest message delay, in seconds


class Queue:
    """One queue a function sends to. A delay beyond SQS's 15 minutes is served in steps: the
    consumer finds the message early and sends it on again."""

    def __init__(self, client: Any, url: str) -> None:
        self._client = client
        self._url = url

    def send(self, body: str, delay: int | None = None) -> None:
        if delay is None:
            self._client.send_message(QueueUrl=self._url, MessageBody=body)
        else:
            self._client.send_message(QueueUrl=self._url, MessageBody=body, DelaySeconds=min(MAX_DELAY, delay))


class ShardQueue:
    """The evaluator's: a fanned-out tick's shards onto the shard queue."""

    def __init__(self, client: Any, url: str, attempts: int = 3) -> None:
        self._client = client
        self._url = url
        self._attempts = attempts
        self.calls = 0

    def send(self, tick: datetime, shards: list[Shard]) -> None:
        """Every shard, ten per call; entries SQS refuses are sent again (then it raises: the
        tick is retried, and shards already evaluated count once)."""
        entries = [{"Id": str(s.index), "MessageBody": shard_message(tick, s)} for s in shards]
        for start in range(0, len(entries), BATCH):
            pending = entries[start : start + BATCH]
            for _ in range(self._attempts):
                self.calls += 1
                failed = self._client.send_message_batch(QueueUrl=self._url, Entries=pending).get("Failed", [])
                ids = {f["Id"] for f in failed}
                pending = [e for e in pending if e["Id"] in ids]
                if not pending:
                    break
            else:
                raise RuntimeError(f"SQS refused {len(pending)} shard message(s) after {self._attempts} attempts")


class DeadLetterQueues:
    """Approximate depth of each dead-letter queue; None when a queue cannot be read."""

    def __init__(self, client: Any, urls: dict[str, str]) -> None:
        self._client = client
        self._urls = urls

    def depths(self) -> dict[str, int | None]:
        depths: dict[str, int | None] = {}
        for name, url in self._urls.items():
            try:
                attributes = self._client.get_queue_attributes(
                    QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
                )["Attributes"]
                depths[name] = int(attributes["ApproximateNumberOfMessages"])
            except (ClientError, BotoCoreError):
                depths[name] = None  # health must answer even when a queue does not
        return depths
