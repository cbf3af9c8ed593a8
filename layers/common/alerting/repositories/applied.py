"""Rules as code's records of what it last wrote (`make rules-apply`), in the config table."""

from __future__ import annotations

from typing import Any

from alerting.models.common import Model, UtcDatetime
from alerting.repositories.config import query, without_key
from alerting.repositories.dynamo import Item, key, to_item

KIND_APPLIED = "applied"  # one item per resource rules as code wrote


class Applied(Model):
    """What rules as code last wrote to one resource."""

    kind: str  # its Kind's name: "rule", "policy"...
    item_id: str
    version: int  # the version it wrote
    digest: str  # of the content it wrote (`alerting.rules_plan.content_digest`)
    applied_at: UtcDatetime


class AppliedRecords:
    """Rules as code's records (``pk`` "applied", ``sk`` "<kind>#<id>"), written in the same
    transaction as the resource: a resource whose content no longer matches its record was
    changed by someone else since (the API), and a record marks a resource as managed."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def all(self) -> dict[tuple[str, str], Applied]:
        items = query(self._client, self._table, "pk = :applied", {":applied": KIND_APPLIED}, ConsistentRead=True)
        records = [Applied.model_validate(without_key(item)) for item in items]
        return {(record.kind, record.item_id): record for record in records}

    def put_step(self, record: Applied) -> Item:
        """A transaction step that writes ``record``."""
        sk = f"{record.kind}#{record.item_id}"
        item = to_item({"pk": KIND_APPLIED, "sk": sk, **record.model_dump(mode="json")})
        return {"Put": {"TableName": self._table, "Item": item}}

    def delete_step(self, kind: str, item_id: str) -> Item:
        return {"Delete": {"TableName": self._table, "Key": key(pk=KIND_APPLIED, sk=f"{kind}#{item_id}")}}

    def save(self, record: Applied) -> None:
        """The record alone: a resource already identical to its file becomes managed."""
        self._client.put_item(**self.put_step(record)["Put"])

    def delete(self, kind: str, item_id: str) -> None:
        """The record alone: of a resource gone from both the files and the table."""
        self._client.delete_item(**self.delete_step(kind, item_id)["Delete"])
