"""Configuration items (rules, channels, silences, escalation policies...) in the config table.

One table, partition key ``pk`` = kind, sort key ``sk`` = id: listing a kind is a Query, never
a Scan, and each kind is one generic repository, handed its description (`alerting.kinds`).

Every write also bumps its kind's generation (a counter per kind, ``meta/generation#<kind>``),
in the same transaction: a reader that caches a kind reads the generations once per
batch and reloads what changed, so a change applies to everything recorded after the API
answered (read-your-writes), and an unchanged kind costs no read.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from botocore.exceptions import ClientError
from pydantic import BaseModel

from alerting.errors import AlreadyExists, ConcurrentUpdate, Conflict, NotFound
from alerting.kinds import Kind
from alerting.models.common import Page, epoch
from alerting.models.reports import EvaluationSummary
from alerting.repositories.dynamo import Item, batch_get, error_code, from_item, key, paginate, query_page, to_item

M = TypeVar("M", bound=BaseModel)

KIND_META = "meta"  # beside the kinds of configuration: generations, the evaluator's runs, flags
TTL_ATTRIBUTE = "expires_at"  # the config table's TimeToLiveSpecification
GENERATION_PREFIX = "generation#"  # meta items: one write counter per kind
WRITE_ATTEMPTS = 5  # two writes of one kind at once collide on its counter: the loser tries again
RETRYABLE = {"TransactionConflict", "ThrottlingError"}  # botocore does not retry a cancelled transaction


def query(client: Any, table: str, condition: str, values: dict[str, str], **params: Any) -> Iterator[Item]:
    """Every item a Query of the config table finds (``values``: the condition's strings)."""
    strings = {name: {"S": value} for name, value in values.items()}
    yield from paginate(
        client, "query", TableName=table, KeyConditionExpression=condition, ExpressionAttributeValues=strings, **params
    )


def without_key(item: Item) -> dict[str, Any]:
    """An item's own attributes, decoded: what a model is validated from."""
    return {k: v for k, v in from_item(item).items() if k not in ("pk", "sk", TTL_ATTRIBUTE)}


class ConfigRepository(Generic[M]):
    def __init__(self, client: Any, table: str, kind: Kind[M]) -> None:
        self._client = client
        self._table = table
        self.kind = kind
        self._name = kind.name

    def item_id(self, obj: M) -> str:
        return self.kind.item_id(obj)

    def _key(self, item_id: str) -> dict[str, Any]:
        return key(pk=self._name, sk=item_id)

    def _decode(self, item: dict[str, Any]) -> M:
        return self.kind.model.model_validate(without_key(item), context={"stored": True})

    def _encode(self, obj: M) -> dict[str, Any]:
        item = {"pk": self._name, "sk": self.item_id(obj), **obj.model_dump(mode="json")}
        expires = getattr(obj, "expires_epoch", None)  # DynamoDB deletes the item some time after
        if expires is not None:
            item[TTL_ATTRIBUTE] = expires
        return to_item(item)

    def get(self, item_id: str) -> M:
        response = self._client.get_item(TableName=self._table, Key=self._key(item_id), ConsistentRead=True)
        if "Item" not in response:
            raise NotFound(self._name, item_id)
        return self._decode(response["Item"])

    def find(self, item_id: str) -> M | None:
        """The item, or None where there is none (a reference to something deleted)."""
        try:
            return self.get(item_id)
        except NotFound:
            return None

    def get_many(self, item_ids: list[str]) -> dict[str, M]:
        """The items that exist among ``item_ids``, in one BatchGetItem per hundred."""
        keys = [self._key(i) for i in dict.fromkeys(item_ids)]
        items = [self._decode(i) for i in batch_get(self._client, self._table, keys)] if keys else []
        return {self.item_id(item): item for item in items}

    def all(self) -> Iterator[M]:
        """Every item of the kind, strongly consistent (the evaluator must see a disable at once)."""
        for item in self._every():
            yield self._decode(item)

    def project(self, attributes: Sequence[str]) -> Iterator[Item]:
        """Only ``attributes`` of every item of the kind, as DynamoDB sends them (no model is
        built): what reading 100k rules to plan a tick needs, at a fraction of the payload."""
        names = {f"#a{i}": name for i, name in enumerate(attributes)}
        yield from self._every(ProjectionExpression=", ".join(names), ExpressionAttributeNames=names)

    def _every(self, **params: Any) -> Iterator[Item]:
        """Every item of the kind, strongly consistent, as stored."""
        yield from query(self._client, self._table, "pk = :kind", {":kind": self._name}, ConsistentRead=True, **params)

    def page(
        self, limit: int, next_token: str | None, keep: Callable[[M], bool] | None = None, scope: str = ""
    ) -> Page[M]:
        """A page of at most `limit` items; `keep` filters without breaking pagination (``scope``
        names the filter, so a token only continues the listing it came from)."""
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :kind",
            "ExpressionAttributeValues": {":kind": {"S": self._name}},
        }
        items, token = query_page(self._client, params, limit, next_token, self._decode, keep, scope)
        return Page[Any](items=items, next_token=token)

    def _write(self, operation: str, also: Sequence[Item] = (), **params: Any) -> bool:
        """``operation`` ("Put", "Delete") on one item of this kind, and the kind's generation
        bumped, and the transaction steps ``also`` (rules as code's record of what it wrote), all
        or nothing. False when the operation's condition failed."""
        bump = {
            "Update": {
                "TableName": self._table,
                "Key": key(pk=KIND_META, sk=GENERATION_PREFIX + self._name),
                "UpdateExpression": "ADD writes :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        }
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                self._client.transact_write_items(
                    TransactItems=[{operation: {"TableName": self._table, **params}}, bump, *also]
                )
                return True
            except ClientError as exc:
                if error_code(exc) != "TransactionCanceledException":
                    raise
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                if reasons[:1] == ["ConditionalCheckFailed"]:
                    return False
                if not RETRYABLE.intersection(reasons):
                    raise
                if attempt == WRITE_ATTEMPTS:
                    raise ConcurrentUpdate(
                        f"{self._name} writes kept colliding: {', '.join(map(str, reasons))}"
                    ) from exc
                time.sleep(random.uniform(0, 0.02 * 2**attempt))
        raise AssertionError("unreachable")

    def create(self, obj: M, also: Sequence[Item] = ()) -> M:
        if not self._write("Put", also, Item=self._encode(obj), ConditionExpression="attribute_not_exists(sk)"):
            raise AlreadyExists(self._name, self.item_id(obj))
        return obj

    def replace(self, obj: M, expected_version: int, also: Sequence[Item] = ()) -> M:
        """Overwrite only the version that was read (`obj.version` must be the next one)."""
        self._write_version("Put", self.item_id(obj), expected_version, also, Item=self._encode(obj))
        return obj

    def _write_version(
        self, operation: str, item_id: str, expected_version: int, also: Sequence[Item], **params: Any
    ) -> None:
        """``operation`` only on the version that was read: NotFound when the item is gone,
        Conflict when it changed."""
        if not self._write(
            operation,
            also,
            ConditionExpression="attribute_exists(sk) AND version = :v",
            ExpressionAttributeValues={":v": {"N": str(expected_version)}},
            **params,
        ):
            self.get(item_id)  # raises NotFound when it was deleted meanwhile
            raise Conflict(f"{self._name} {item_id!r} changed: version {expected_version} is stale")

    def enabled_check(self, item_id: str) -> dict[str, Any]:
        """A transaction step that holds only while the item exists and is enabled."""
        return {
            "ConditionCheck": {
                "TableName": self._table,
                "Key": self._key(item_id),
                "ConditionExpression": "attribute_exists(sk) AND enabled = :on",
                "ExpressionAttributeValues": {":on": {"BOOL": True}},
            }
        }

    def put(self, obj: M) -> M:
        """Unconditional write (rules-as-code sync, seeding)."""
        self._write("Put", Item=self._encode(obj))
        return obj

    def delete(self, item_id: str) -> None:
        if not self._write("Delete", Key=self._key(item_id), ConditionExpression="attribute_exists(sk)"):
            raise NotFound(self._name, item_id)

    def delete_version(self, item_id: str, expected_version: int, also: Sequence[Item] = ()) -> None:
        """Delete only the version that was read."""
        self._write_version("Delete", item_id, expected_version, also, Key=self._key(item_id))


class ConfigGenerations:
    """How many writes each kind has had: one strongly consistent Query of a few small items."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def read(self) -> dict[str, int]:
        values = {":meta": KIND_META, ":prefix": GENERATION_PREFIX}
        items = query(self._client, self._table, "pk = :meta AND begins_with(sk, :prefix)", values, ConsistentRead=True)
        return {item["sk"]["S"].removeprefix(GENERATION_PREFIX): int(item["writes"]["N"]) for item in items}


SUPPRESSED_PREFIX = "suppressed#"
LAST_RUN = "last_run"
BUCKETS_BACKFILLED = "flag#state-buckets"
SHARD_RUN_PREFIX = "last_run#shard#"
SUPPRESSED_RETENTION = 100 * 86_400  # beyond the summary's 90-day reach


class RunLog:
    """The evaluator's last run, for ``GET /health`` (one small write per tick), and hourly
    counts of held-back alerts for ``GET /summary`` (one more write in a tick that held any)."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def save(self, summary: EvaluationSummary) -> None:
        """The tick's summary, or one shard's (kept beside it, merged by `last`)."""
        sk = LAST_RUN if summary.shard is None else f"{SHARD_RUN_PREFIX}{summary.shard:04d}"
        item = to_item({"pk": KIND_META, "sk": sk, **summary.model_dump(mode="json")})
        self._client.put_item(TableName=self._table, Item=item)
        if summary.suppressed:
            hour = summary.tick.strftime("%Y-%m-%dT%H")
            self._client.update_item(
                TableName=self._table,
                Key=key(pk=KIND_META, sk=SUPPRESSED_PREFIX + hour),
                UpdateExpression=f"ADD held :n SET {TTL_ATTRIBUTE} = :expires",
                ExpressionAttributeValues={
                    ":n": {"N": str(summary.suppressed)},
                    ":expires": {"N": str(epoch(summary.tick) + SUPPRESSED_RETENTION)},
                },
            )

    def flag(self, name: str) -> bool:
        response = self._client.get_item(TableName=self._table, Key=key(pk=KIND_META, sk=name), ConsistentRead=True)
        return "Item" in response

    def set_flag(self, name: str) -> None:
        self._client.put_item(TableName=self._table, Item=key(pk=KIND_META, sk=name))

    def suppressed_since(self, start: datetime) -> int:
        """Evaluations that held back a due alert (cooldown, rate limit) from `start`'s hour on."""
        since = SUPPRESSED_PREFIX + start.strftime("%Y-%m-%dT%H")
        values = {":meta": KIND_META, ":from": since, ":to": SUPPRESSED_PREFIX + "~"}
        items = query(self._client, self._table, "pk = :meta AND sk BETWEEN :from AND :to", values)
        return sum(int(from_item(item).get("held", 0)) for item in items)

    def last(self) -> EvaluationSummary | None:
        """The last tick's summary; a fanned-out tick's with the shards that reported merged in."""
        response = self._client.get_item(TableName=self._table, Key=key(pk=KIND_META, sk=LAST_RUN))
        if "Item" not in response:
            return None
        summary = _summary(response["Item"])
        if not summary.shards:
            return summary
        values = {":meta": KIND_META, ":shard": SHARD_RUN_PREFIX}
        items = query(self._client, self._table, "pk = :meta AND begins_with(sk, :shard)", values)
        return summary.merged([_summary(i) for i in items])


def _summary(item: Item) -> EvaluationSummary:
    return EvaluationSummary.model_validate(without_key(item))
