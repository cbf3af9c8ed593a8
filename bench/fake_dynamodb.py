"""A counting, in-memory stand-in for the DynamoDB client calls the repositories make.

Only for the benchmark: moto serialises a 10k-item page far slower than DynamoDB, and the
benchmark needs request counts, not moto's speed. Pages are cut at 1 MB like DynamoDB's;
conditions always pass (the benchmark is single-threaded; tests cover the races on moto).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Self

from alerting_local.template import load_template

PAGE_BYTES = 1_000_000
READS = ("query", "scan", "get_item", "batch_get_item")
WRITES = ("put_item", "delete_item", "transact_write_items", "batch_write_item")


class FakeDynamoDB:
    @classmethod
    def from_template(cls) -> Self:
        """Every table of template.yaml, by logical id, with its key schema."""
        tables = {k: v for k, v in load_template()["Resources"].items() if v["Type"] == "AWS::DynamoDB::Table"}
        return cls(
            {logical: [k["AttributeName"] for k in t["Properties"]["KeySchema"]] for logical, t in tables.items()},
            {
                (logical, index["IndexName"]): index["KeySchema"][0]["AttributeName"]
                for logical, t in tables.items()
                for index in t["Properties"].get("GlobalSecondaryIndexes", [])
            },
        )

    def __init__(self, key_schemas: dict[str, list[str]], indexes: dict[tuple[str, str], str] | None = None) -> None:
        self._keys = key_schemas  # table → [hash key, range key?]
        self._indexes = indexes or {}  # (table, index) → its hash key
        self._tables: dict[str, dict[tuple[str, ...], dict[str, Any]]] = {t: {} for t in key_schemas}
        self.calls: Counter[str] = Counter()
        self.items_written = 0
        # capacity units as DynamoDB bills them, from the items' JSON size: a page or a consistent
        # read item costs a unit per 4 KB, a written item a unit per 1 KB (twice in a transaction)
        self.read_units = 0
        self.write_units = 0

    def _key(self, table: str, item: dict[str, Any]) -> tuple[str, ...]:
        return tuple(json.dumps(item[k], sort_keys=True) for k in self._keys[table])

    def _page(self, items: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
        start = int(params.get("ExclusiveStartKey", {}).get("_offset", {}).get("N", 0))
        limit = params.get("Limit", len(items))
        page: list[dict[str, Any]] = []
        size = 0
        for item in items[start : start + limit]:
            size += len(json.dumps(item))
            if size > PAGE_BYTES and page:
                break
            page.append(item)
        self.read_units += max(1, -(-sum(len(json.dumps(i)) for i in page) // 4096))
        response: dict[str, Any] = {"Items": page}
        if start + len(page) < len(items):
            response["LastEvaluatedKey"] = {"_offset": {"N": str(start + len(page))}}
        return response

    def query(self, **params: Any) -> dict[str, Any]:
        self.calls["query"] += 1
        table = params["TableName"]
        hash_key = self._indexes[(table, params["IndexName"])] if "IndexName" in params else self._keys[table][0]
        wanted = next(iter(params["ExpressionAttributeValues"].values()))
        items = [i for i in self._tables[params["TableName"]].values() if i.get(hash_key) == wanted]
        page = self._page(items, params)
        if "ProjectionExpression" in params:  # top-level attributes named through #placeholders
            names = [params["ExpressionAttributeNames"][n.strip()] for n in params["ProjectionExpression"].split(",")]
            page["Items"] = [{n: item[n] for n in names if n in item} for item in page["Items"]]
        return page

    def scan(self, **params: Any) -> dict[str, Any]:
        self.calls["scan"] += 1
        return self._page(list(self._tables[params["TableName"]].values()), params)

    def get_item(self, **params: Any) -> dict[str, Any]:
        self.calls["get_item"] += 1
        item = self._tables[params["TableName"]].get(self._key(params["TableName"], params["Key"]))
        self.read_units += _units(item or {}, 4096)
        return {"Item": item} if item else {}

    def batch_get_item(self, **params: Any) -> dict[str, Any]:
        self.calls["batch_get_item"] += 1
        responses: dict[str, list[dict[str, Any]]] = {}
        for table, request in params["RequestItems"].items():
            found = (self._tables[table].get(self._key(table, k)) for k in request["Keys"])
            responses[table] = [item for item in found if item]
            self.read_units += sum(_units(i, 4096) for i in responses[table])
        return {"Responses": responses, "UnprocessedKeys": {}}

    def put_item(self, **params: Any) -> dict[str, Any]:
        self.calls["put_item"] += 1
        self.write_units += _units(params["Item"], 1024)
        self._put(params["TableName"], params["Item"])
        return {}

    def delete_item(self, **params: Any) -> dict[str, Any]:
        self.calls["delete_item"] += 1
        self.write_units += 1
        self.items_written += 1
        self._tables[params["TableName"]].pop(self._key(params["TableName"], params["Key"]), None)
        return {}

    def transact_write_items(self, **params: Any) -> dict[str, Any]:
        self.calls["transact_write_items"] += 1
        for operation in params["TransactItems"]:
            ((kind, body),) = operation.items()
            self.write_units += 2 * _units(body.get("Item", body.get("Key", {})), 1024)
            if kind == "Put":
                self._put(body["TableName"], body["Item"])
        return {}

    def batch_write_item(self, **params: Any) -> dict[str, Any]:
        for table, requests in params["RequestItems"].items():
            for request in requests:
                self._put(table, request["PutRequest"]["Item"])
        return {}

    def _put(self, table: str, item: dict[str, Any]) -> None:
        self.items_written += 1
        self._tables[table][self._key(table, item)] = item

    def reads(self) -> int:
        return sum(self.calls[c] for c in READS)

    def writes(self) -> int:
        return sum(self.calls[c] for c in WRITES)


def _units(item: dict[str, Any], unit: int) -> int:
    return max(1, -(-len(json.dumps(item, default=str)) // unit))
