"""SQS adapter of the evaluator: a fanned-out tick's shards onto the shard queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alerting.sharding import Shard, shard_message

BATCH = 10  # SendMessageBatch's limit


class ShardQueue:
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
