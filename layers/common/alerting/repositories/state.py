"""Per-series evaluation state (state table: ``rule_id`` + ``fingerprint``; each item also
carries its rule's ``bucket``, the key of the ``by-bucket`` index a shard reads through)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from alerting.models.alerts import SeriesState
from alerting.repositories.dynamo import Item, from_item, key, paginate, query_index, to_item, versioned_put
from alerting.sharding import bucket_of

SeriesKey = tuple[str, str]
BY_BUCKET = "by-bucket"


def _decode(item: Item) -> SeriesState:
    data = from_item(item)
    data.pop("bucket", None)
    return SeriesState.model_validate(data)


class StateRepository:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def load_all(self) -> dict[SeriesKey, SeriesState]:
        """Every series, in as few calls as the table's size allows (1 MB pages).

        Strongly consistent, so a tick that follows another sees its writes."""
        states: dict[SeriesKey, SeriesState] = {}
        for item in paginate(self._client, "scan", TableName=self._table, ConsistentRead=True):
            state = _decode(item)
            states[(state.rule_id, state.fingerprint)] = state
        return states

    def load_buckets(self, buckets: Iterable[int]) -> dict[SeriesKey, SeriesState]:
        """The series of the rules in `buckets`: one Query of the ``by-bucket`` index per bucket.

        An index is eventually consistent; a tick follows the last by a minute, and a write over a
        state read stale fails its version check and is decided again on a consistent GetItem."""
        states: dict[SeriesKey, SeriesState] = {}
        for bucket in buckets:
            for item in query_index(self._client, self._table, BY_BUCKET, ("bucket", {"N": str(bucket)})):
                state = _decode(item)
                states[(state.rule_id, state.fingerprint)] = state
        return states

    def backfill_buckets(self) -> int:
        """Give every series written without a bucket its bucket (items from before fan-out)."""
        items = paginate(
            self._client,
            "scan",
            TableName=self._table,
            FilterExpression="attribute_not_exists(#b)",
            ProjectionExpression="rule_id, fingerprint",
            ExpressionAttributeNames={"#b": "bucket"},
        )
        count = 0
        for item in items:
            self._client.update_item(
                TableName=self._table,
                Key={"rule_id": item["rule_id"], "fingerprint": item["fingerprint"]},
                UpdateExpression="SET #b = :b",
                ExpressionAttributeNames={"#b": "bucket"},
                ExpressionAttributeValues={":b": {"N": str(bucket_of(item["rule_id"]["S"]))}},
            )
            count += 1
        return count

    def get(self, rule_id: str, fingerprint: str) -> SeriesState | None:
        response = self._client.get_item(
            TableName=self._table, Key=key(rule_id=rule_id, fingerprint=fingerprint), ConsistentRead=True
        )
        return _decode(response["Item"]) if "Item" in response else None

    def for_rule(self, rule_id: str) -> list[SeriesState]:
        items = paginate(
            self._client,
            "query",
            TableName=self._table,
            KeyConditionExpression="rule_id = :r",
            ExpressionAttributeValues={":r": {"S": rule_id}},
            ConsistentRead=True,
        )
        return [_decode(i) for i in items]

    def put_op(self, state: SeriesState) -> Item:
        """Write `state` as the next version, only over the version it was read at."""
        stored = state.model_copy(update={"version": state.version + 1})
        item = to_item({**stored.model_dump(mode="json"), "bucket": bucket_of(state.rule_id)})
        return versioned_put(self._table, item, "rule_id", state.version)

    def delete_op(self, state: SeriesState) -> Item:
        return {
            "Delete": {
                "TableName": self._table,
                "Key": key(rule_id=state.rule_id, fingerprint=state.fingerprint),
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": {"N": str(state.version)}},
            }
        }
