"""Quotas over a sliding window, in the config table (``pk = "quota"``): at most ``limit`` uses
of one key in any ``period_seconds``, counted across every Lambda instance.

A key's item holds the times of its last ``limit`` uses and a version; a use is a conditional
write on the version read, so two instances racing for the last use cannot both have it. The
item expires (TTL) a period after its last use, when it no longer limits anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from alerting.errors import ConcurrentUpdate
from alerting.repositories.config import TTL_ATTRIBUTE
from alerting.repositories.dynamo import error_code, from_item, key, to_item

KIND_QUOTA = "quota"
ATTEMPTS = 5  # conditional writes lost to concurrent uses of the same key before giving up


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
