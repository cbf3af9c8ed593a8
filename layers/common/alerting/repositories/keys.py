"""Ingest keys, by their hash, in the config table (``pk = "key"``, ``sk`` = SHA-256 of the key):
which integration or heartbeat a key lets in, found with one GetItem.

The key itself is never stored: the 201 of a creation or rotation shows it once. Its item is
written in the same transaction as its owner (``ConfigRepository.create(..., also=[put_op])``),
so a key never points at nothing, and a rotation swaps the old item for the new one at once.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from alerting.repositories.dynamo import Item, from_item, key, put, to_item

KIND_KEY = "key"


class KeyOwner(NamedTuple):
    kind: str  # "integration" or "heartbeat" (a kind's name, alerting.kinds)
    owner_id: str


class KeyStore:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def owner(self, key_hash: str) -> KeyOwner | None:
        response = self._client.get_item(TableName=self._table, Key=key(pk=KIND_KEY, sk=key_hash))
        if "Item" not in response:
            return None
        data = from_item(response["Item"])
        return KeyOwner(data["owner_kind"], data["owner_id"])

    def put_op(self, key_hash: str, owner: KeyOwner) -> Item:
        item = to_item({"pk": KIND_KEY, "sk": key_hash, "owner_kind": owner.kind, "owner_id": owner.owner_id})
        return put(self._table, item, "attribute_not_exists(sk)")

    def delete_op(self, key_hash: str) -> Item:
        return {"Delete": {"TableName": self._table, "Key": key(pk=KIND_KEY, sk=key_hash)}}
