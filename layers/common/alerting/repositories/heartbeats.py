"""Heartbeats in the config table: the heartbeat (``pk = "heartbeat"``, written by the API), its
pings (``pk = "heartbeat-state"``, written by pings and the sweep), its ping key (`KeyStore`)
and its due entry (``pk = "heartbeat-due#<minute>"``, ``sk`` = heartbeat id).

The due entries are the sweep's index: a sweep Queries the minutes that passed since the last
one (its cursor: ``meta/heartbeat-sweep``), so it reads what is due, not every heartbeat. An
entry expires two days after its minute (TTL), swept or not. A heartbeat is created with its
key, its state and its entry in one transaction, and deleted with its key and its state.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from datetime import datetime
from typing import Any

from alerting.errors import ConcurrentUpdate
from alerting.kinds import HEARTBEAT
from alerting.models.common import Page, epoch, iso, parse_time
from alerting.models.heartbeats import Heartbeat, HeartbeatState
from alerting.repositories.config import KIND_META, TTL_ATTRIBUTE, ConfigRepository, query, without_key
from alerting.repositories.dynamo import Item, batch_get, from_item, key, put, to_item, transact, versioned_put
from alerting.repositories.keys import KeyOwner, KeyStore

KIND_STATE = "heartbeat-state"
DUE_PREFIX = "heartbeat-due#"
SWEPT = "heartbeat-sweep"
ENTRY_RETENTION = 2 * 86_400  # seconds an entry outlives its minute (the sweep reads it within one)

Found = tuple[Heartbeat | None, HeartbeatState | None]  # a heartbeat and its state, where they exist


class HeartbeatRepository:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table
        self.config = ConfigRepository(client, table, HEARTBEAT)
        self.keys = KeyStore(client, table)

    # -- the API ----------------------------------------------------------------------------------
    def create(self, heartbeat: Heartbeat, state: HeartbeatState) -> Heartbeat:
        """The heartbeat, its key, its first state and its due entry, all or nothing."""
        assert heartbeat.key_hash is not None and state.indexed is not None
        also = [self._key_put(heartbeat, heartbeat.key_hash), self.state_op(state)]
        return self.config.create(heartbeat, [*also, self.entry_op(heartbeat.heartbeat_id, state.indexed)])

    def replace(self, heartbeat: Heartbeat, expected_version: int, entry: datetime | None) -> Heartbeat:
        """A new version of the heartbeat; ``entry``: a due entry to add (its period changed). Its
        state is not touched: a ping at the same moment still counts."""
        also = [self.entry_op(heartbeat.heartbeat_id, entry)] if entry is not None else []
        return self.config.replace(heartbeat, expected_version, also)

    def rotate(self, heartbeat: Heartbeat, expected_version: int, old_hash: str | None) -> Heartbeat:
        """A new version with a new key: the old key stops working in the same transaction."""
        assert heartbeat.key_hash is not None
        also = [self._key_put(heartbeat, heartbeat.key_hash)]
        if old_hash is not None:
            also.append(self.keys.delete_op(old_hash))
        return self.config.replace(heartbeat, expected_version, also)

    def delete(self, heartbeat: Heartbeat) -> None:
        """The heartbeat as read, its key and its state (its due entries expire)."""
        also = [{"Delete": {"TableName": self._table, "Key": key(pk=KIND_STATE, sk=heartbeat.heartbeat_id)}}]
        if heartbeat.key_hash is not None:
            also.append(self.keys.delete_op(heartbeat.key_hash))
        self.config.delete_version(heartbeat.heartbeat_id, heartbeat.version, also)

    def get(self, heartbeat_id: str) -> Heartbeat:
        return self.config.get(heartbeat_id)

    def page(self, limit: int, next_token: str | None) -> Page[Heartbeat]:
        return self.config.page(limit, next_token)

    def _key_put(self, heartbeat: Heartbeat, key_hash: str) -> Item:
        return self.keys.put_op(key_hash, KeyOwner(HEARTBEAT.name, heartbeat.heartbeat_id))

    # -- reads of heartbeats with their state ------------------------------------------------------
    def found(self, heartbeat_ids: Iterable[str]) -> dict[str, Found]:
        """Each heartbeat and its state, strongly consistent: one BatchGetItem per fifty."""
        wanted = list(dict.fromkeys(heartbeat_ids))
        keys = [key(pk=pk, sk=i) for i in wanted for pk in (HEARTBEAT.name, KIND_STATE)]
        heartbeats: dict[str, Heartbeat] = {}
        states: dict[str, HeartbeatState] = {}
        for item in batch_get(self._client, self._table, keys) if keys else []:
            data = without_key(item)
            if item["pk"]["S"] == KIND_STATE:
                states[item["sk"]["S"]] = HeartbeatState.model_validate(data)
            else:
                heartbeats[item["sk"]["S"]] = Heartbeat.model_validate(data, context={"stored": True})
        return {i: (heartbeats.get(i), states.get(i)) for i in wanted}

    def find(self, heartbeat_id: str) -> Found:
        return self.found([heartbeat_id])[heartbeat_id]

    def state(self, heartbeat_id: str) -> HeartbeatState | None:
        """Its state alone (a ping's door has read the heartbeat already)."""
        response = self._client.get_item(
            TableName=self._table, Key=key(pk=KIND_STATE, sk=heartbeat_id), ConsistentRead=True
        )
        return HeartbeatState.model_validate(without_key(response["Item"])) if "Item" in response else None

    # -- pings and the sweep -----------------------------------------------------------------------
    def save(self, state: HeartbeatState, drop: datetime | None = None, add: datetime | None = None) -> None:
        """``state`` (its version is the next one) over the version read, and its due entry moved,
        all or nothing. ConcurrentUpdate when another ping or sweep wrote first: read again."""
        operations = [self.state_op(state)]
        if drop is not None and drop != add:
            due = key(pk=DUE_PREFIX + iso(drop), sk=state.heartbeat_id)
            operations.append({"Delete": {"TableName": self._table, "Key": due}})
        if add is not None:
            operations.append(self.entry_op(state.heartbeat_id, add))
        transact(self._client, operations)

    def state_op(self, state: HeartbeatState) -> Item:
        item = to_item({"pk": KIND_STATE, "sk": state.heartbeat_id, **state.model_dump(mode="json")})
        return versioned_put(self._table, item, "sk", state.version - 1)

    def entry_op(self, heartbeat_id: str, minute: datetime) -> Item:
        item = {"pk": DUE_PREFIX + iso(minute), "sk": heartbeat_id, TTL_ATTRIBUTE: epoch(minute) + ENTRY_RETENTION}
        return put(self._table, to_item(item))

    def add_entry(self, heartbeat_id: str, minute: datetime) -> None:
        """One more due entry (a heartbeat the sweep could not finish is looked at again then)."""
        transact(self._client, [self.entry_op(heartbeat_id, minute)])

    def due(self, minute: datetime) -> list[str]:
        """The heartbeats with a due entry in ``minute``: one Query (more only past 1 MB)."""
        items = query(self._client, self._table, "pk = :due", {":due": DUE_PREFIX + iso(minute)}, ConsistentRead=True)
        return [item["sk"]["S"] for item in items]

    def swept(self) -> datetime | None:
        """The last minute the sweep finished (None: it never ran)."""
        response = self._client.get_item(TableName=self._table, Key=key(pk=KIND_META, sk=SWEPT), ConsistentRead=True)
        return parse_time(from_item(response["Item"])["swept"]) if "Item" in response else None

    def save_swept(self, minute: datetime) -> None:
        """Forward only: a late or duplicated sweep never sets the cursor back."""
        item = to_item({"pk": KIND_META, "sk": SWEPT, "swept": iso(minute)})
        condition = "attribute_not_exists(sk) OR swept < :minute"
        with suppress(ConcurrentUpdate):  # another sweep got further
            transact(self._client, [put(self._table, item, condition, {":minute": {"S": iso(minute)}})])
