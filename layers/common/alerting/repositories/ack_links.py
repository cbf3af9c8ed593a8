"""The claims of acknowledge links the notifier issued (config table, ``pk = "ack-link"``, ``sk`` =
the SHA-256 of the link's token), kept until the link expires (the table's TTL): what the ingest
API reads a link's token back into (`alerting.ack_links`)."""

from __future__ import annotations

from typing import Any

from alerting.ack_links import Claims
from alerting.repositories.dynamo import from_item, key, to_item

KIND_ACK_LINK = "ack-link"


class AckLinkStore:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def keep(self, token_hash: str, claims: Claims) -> None:
        """Idempotent: the same claims make the same token, so a retried message writes the same item."""
        item = {"pk": KIND_ACK_LINK, "sk": token_hash, **claims.model_dump(mode="json")}
        self._client.put_item(TableName=self._table, Item=to_item(item))

    def find(self, token_hash: str) -> Claims | None:
        response = self._client.get_item(TableName=self._table, Key=key(pk=KIND_ACK_LINK, sk=token_hash))
        if "Item" not in response:
            return None
        data = {k: v for k, v in from_item(response["Item"]).items() if k not in ("pk", "sk")}
        return Claims.model_validate(data)
