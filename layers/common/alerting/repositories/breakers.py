"""Circuit breakers per channel (config table, ``pk = "breaker"``).

A channel whose sends keep failing with retryable errors is paused: after `threshold`
consecutive failures it opens for `open_seconds`, doubling while it keeps failing (capped).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alerting.repositories.dynamo import Item, batch_get, from_item, key, to_item

KIND_BREAKER = "breaker"


@dataclass(frozen=True)
class Breaker:
    channel_id: str
    failures: int = 0
    open_until: int = 0  # epoch seconds

    def is_open(self, now: int) -> bool:
        return now < self.open_until


@dataclass(frozen=True)
class BreakerPolicy:
    threshold: int = 5
    open_seconds: int = 60
    max_open_seconds: int = 900

    def after_failure(self, breaker: Breaker, now: int) -> Breaker:
        failures = breaker.failures + 1
        if failures < self.threshold:
            return Breaker(breaker.channel_id, failures, breaker.open_until)
        pause = min(self.open_seconds * 2 ** (failures - self.threshold), self.max_open_seconds)
        return Breaker(breaker.channel_id, failures, now + pause)


class BreakerStore:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def get(self, channel_id: str) -> Breaker:
        response = self._client.get_item(TableName=self._table, Key=key(pk=KIND_BREAKER, sk=channel_id))
        return _decode(channel_id, response["Item"]) if "Item" in response else Breaker(channel_id)

    def get_many(self, channel_ids: list[str]) -> dict[str, Breaker]:
        """Every channel's breaker in one BatchGetItem (a closed one for a channel without)."""
        keys = [key(pk=KIND_BREAKER, sk=c) for c in dict.fromkeys(channel_ids)]
        found = {str(i["sk"]["S"]): i for i in batch_get(self._client, self._table, keys)} if keys else {}
        return {c: _decode(c, found[c]) if c in found else Breaker(c) for c in channel_ids}

    def save(self, breaker: Breaker) -> None:
        if breaker.failures == 0:
            self._client.delete_item(TableName=self._table, Key=key(pk=KIND_BREAKER, sk=breaker.channel_id))
            return
        item = {
            "pk": KIND_BREAKER,
            "sk": breaker.channel_id,
            "failures": breaker.failures,
            "open_until": breaker.open_until,
        }
        self._client.put_item(TableName=self._table, Item=to_item(item))


def _decode(channel_id: str, item: Item) -> Breaker:
    data = from_item(item)
    return Breaker(channel_id, int(data.get("failures", 0)), int(data.get("open_until", 0)))
