"""Quotas and rates in the config table (``pk = "quota"``), counted across every Lambda instance.

A ``Quota`` allows at most ``limit`` uses of one key in any ``period_seconds`` (a sliding window):
the key's item holds the times of its last ``limit`` uses and a version; a use is a conditional
write on the version read, so two instances racing for the last use cannot both have it.

A ``Rate`` is a token bucket (``per_second`` on average, ``burst`` at once), kept as GCRA keeps
it: one number, the time the bucket will be full again (``tat``, microseconds). A request is one
conditional UpdateItem, with no read before it: DynamoDB hands back the item when the condition
fails, and that says how long to wait.

Items expire (TTL) once they no longer limit anything.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from alerting.errors import ConcurrentUpdate
from alerting.repositories.config import TTL_ATTRIBUTE
from alerting.repositories.dynamo import error_code, from_item, key, to_item

KIND_QUOTA = "quota"
ATTEMPTS = 5  # conditional writes lost to concurrent uses of the same key before giving up
MICROS = 1_000_000


@dataclass(frozen=True)
class Quota:
    name: str
    limit: int
    period_seconds: int


def wait_for(uses: Sequence[int], now: int, quota: Quota) -> int:
    """Seconds until one more use is allowed after ``uses`` (epoch seconds); 0: now."""
    recent = sorted(u for u in uses if u > now - quota.period_seconds)
    if len(recent) < quota.limit:
        return 0
    return recent[-quota.limit] + quota.period_seconds - now


class QuotaStore:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def take(self, quota: Quota, subject: str, now: int) -> int:
        """Use ``quota`` once for ``subject`` at ``now`` (epoch seconds) and return 0, or return
        the seconds until a use is allowed, taking nothing."""
        item_key = key(pk=KIND_QUOTA, sk=f"{quota.name}#{subject}")
        for _ in range(ATTEMPTS):
            response = self._client.get_item(TableName=self._table, Key=item_key, ConsistentRead=True)
            stored = from_item(response.get("Item", {}))
            uses, version = [int(u) for u in stored.get("uses", [])], int(stored.get("version", 0))
            wait = wait_for(uses, now, quota)
            if wait:
                return wait
            item = {
                "uses": sorted([*uses, now])[-quota.limit :],
                "version": version + 1,
                TTL_ATTRIBUTE: now + quota.period_seconds,
            }
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item={**item_key, **to_item(item)},
                    ConditionExpression="attribute_not_exists(sk) OR version = :read",
                    ExpressionAttributeValues={":read": {"N": str(version)}},
                )
            except ClientError as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    continue  # another use came first: count again
                raise
            return 0
        raise ConcurrentUpdate(f"{quota.name} quota of {subject!r} kept changing")


@dataclass(frozen=True)
class Rate:
    """``per_second`` requests a second on average, ``burst`` of them at once."""

    name: str
    per_second: int
    burst: int

    @property
    def interval(self) -> int:
        """Microseconds one request costs."""
        return math.ceil(MICROS / self.per_second)

    @property
    def tolerance(self) -> int:
        """How far (microseconds) the bucket may be owed ahead of now: the burst, but one."""
        return (self.burst - 1) * self.interval


def rate_wait(tat: int | None, now: int, rate: Rate) -> int:
    """Microseconds until one more request is allowed, when the bucket is full again at ``tat``
    (None: never used, full); 0: now. Both in microseconds since the epoch."""
    if tat is None:
        return 0
    return max(0, tat - now - rate.tolerance)


def micros(at: datetime) -> int:
    return round(at.timestamp() * MICROS)


class RateLimiter:
    """Token buckets in the config table: ``take`` is one UpdateItem when the bucket is full (a
    quiet source) or refused, two when it is being drawn down (the first tells which case)."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def take(self, rate: Rate, subject: str, at: datetime) -> float:
        """One request of ``subject`` at ``at``: 0.0 when taken, else the seconds until one is
        allowed (nothing taken)."""
        now = micros(at)
        item_key = key(pk=KIND_QUOTA, sk=f"{rate.name}#{subject}")
        expires = (now + rate.tolerance + rate.interval) // MICROS + 1  # full again: it limits nothing
        values = {":now": now, ":step": rate.interval, ":expires": expires}
        for _ in range(ATTEMPTS):
            # Full (or never used): start owing one interval from now.
            held = self._update(
                item_key,
                f"SET tat = :now + :step, {TTL_ATTRIBUTE} = :expires",
                "attribute_not_exists(tat) OR tat <= :now",
                values,
            )
            if held is None:
                return 0.0
            wait = rate_wait(held, now, rate)
            if wait:
                return wait / MICROS
            # Being drawn down, with room: owe one interval more.
            held = self._update(
                item_key,
                f"SET tat = tat + :step, {TTL_ATTRIBUTE} = :expires",
                "tat > :now AND tat <= :last",
                {**values, ":last": now + rate.tolerance},
            )
            if held is None:
                return 0.0
        raise ConcurrentUpdate(f"{rate.name} rate of {subject!r} kept changing")

    def _update(self, item_key: dict[str, Any], update: str, condition: str, values: dict[str, int]) -> int | None:
        """None when written; else the ``tat`` the condition failed on."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=item_key,
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeValues={name: {"N": str(value)} for name, value in values.items()},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            held: dict[str, Any] = exc.response.get("Item") or {}  # type: ignore[assignment]  # botocore's TypedDict
            return int(from_item(held).get("tat", 0))
        return None
