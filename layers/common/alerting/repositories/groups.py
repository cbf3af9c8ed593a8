"""Notification groups waiting for their message (config table, ``pk = "group"``, ``sk =
"<channel_id>#<group key>"``): the members (``alert_id|seq``) that joined since the last
message, when the next message is due (``flush_at``), and when the last one went out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from alerting.repositories.dynamo import from_item, key

KIND_GROUP = "group"
KEEP_SECONDS = 7 * 86_400  # an idle group's item (its last_sent_at) is dropped by TTL after this


@dataclass(frozen=True)
class Joined:
    flush_at: int  # epoch seconds the group's message is due
    opened: bool  # this member opened the group: the caller schedules its flush


class GroupStore:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def _key(self, channel_id: str, group_key: str) -> dict[str, Any]:
        return key(pk=KIND_GROUP, sk=f"{channel_id}#{group_key}")

    def join(self, channel_id: str, group_key: str, member: str, *, wait: int, interval: int, now: int) -> Joined:
        """Add ``member``; a group not waiting yet opens, due after ``wait`` (and no sooner than
        ``interval`` after its last message)."""
        current = self._get(channel_id, group_key)
        due = max(now + wait, int(current.get("last_sent_at", 0)) + interval)
        response = self._client.update_item(
            TableName=self._table,
            Key=self._key(channel_id, group_key),
            UpdateExpression="ADD members :m SET flush_at = if_not_exists(flush_at, :f), expires_at = :ttl",
            ExpressionAttributeValues={
                ":m": {"SS": [member]},
                ":f": {"N": str(due)},
                ":ttl": {"N": str(now + KEEP_SECONDS)},
            },
            ReturnValues="ALL_NEW",
        )
        after = from_item(response["Attributes"])
        # Two first members at once both open it: both schedule a flush, and the second finds
        # the group taken (a duplicate flush sends nothing).
        return Joined(int(after["flush_at"]), opened="flush_at" not in current)

    def take(self, channel_id: str, group_key: str, now: int) -> tuple[list[str], int | None]:
        """The members of a group that is due (removed, so a duplicate flush finds none), or no
        members and when it is due (None: nothing waits)."""
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=self._key(channel_id, group_key),
                UpdateExpression="REMOVE members, flush_at SET last_sent_at = :now",
                ConditionExpression="attribute_exists(members) AND flush_at <= :now",
                ExpressionAttributeValues={":now": {"N": str(now)}},
                ReturnValues="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            current = self._get(channel_id, group_key)
            waiting = current.get("members") and current.get("flush_at") is not None
            return [], int(current["flush_at"]) if waiting else None
        return sorted(from_item(response["Attributes"]).get("members", [])), None

    def _get(self, channel_id: str, group_key: str) -> dict[str, Any]:
        response = self._client.get_item(
            TableName=self._table, Key=self._key(channel_id, group_key), ConsistentRead=True
        )
        return from_item(response["Item"]) if "Item" in response else {}
