"""Per-series evaluation state (state table: ``rule_id`` + ``fingerprint``)."""

from __future__ import annotations

from typing import Any

from alerting.models.alerts import SeriesState
from alerting.repositories.dynamo import Item, from_item, key, paginate, to_item, versioned_put

SeriesKey = tuple[str, str]


class StateRepository:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def load_all(self) -> dict[SeriesKey, SeriesState]:
        """Every series, in as few calls as the table's size allows (1 MB pages).

        Strongly consistent, so a tick that follows another sees its writes."""
        states: dict[SeriesKey, SeriesState] = {}
        for item in paginate(self._client, "scan", TableName=self._table, ConsistentRead=True):
            state = SeriesState.model_validate(from_item(item))
            states[(state.rule_id, state.fingerprint)] = state
        return states

    def get(self, rule_id: str, fingerprint: str) -> SeriesState | None:
        response = self._client.get_item(
            TableName=self._table, Key=key(rule_id=rule_id, fingerprint=fingerprint), ConsistentRead=True
        )
        return SeriesState.model_validate(from_item(response["Item"])) if "Item" in response else None

    def for_rule(self, rule_id: str) -> list[SeriesState]:
        items = paginate(
            self._client,
            "query",
            TableName=self._table,
            KeyConditionExpression="rule_id = :r",
            ExpressionAttributeValues={":r": {"S": rule_id}},
            ConsistentRead=True,
        )
        return [SeriesState.model_validate(from_item(i)) for i in items]

    def put_op(self, state: SeriesState) -> Item:
        """Write `state` as the next version, only over the version it was read at."""
        stored = state.model_copy(update={"version": state.version + 1})
        return versioned_put(self._table, to_item(stored.model_dump(mode="json")), "rule_id", state.version)

    def delete_op(self, state: SeriesState) -> Item:
        return {
            "Delete": {
                "TableName": self._table,
                "Key": key(rule_id=state.rule_id, fingerprint=state.fingerprint),
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": {"N": str(state.version)}},
            }
        }
