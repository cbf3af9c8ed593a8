"""DynamoDB plumbing shared by the repositories: item codec, page tokens, transactions.

Repositories are handed a low-level ``dynamodb`` client (never built here) and table names.
``ClientError`` stops at this layer: conditional-check failures become ``ConcurrentUpdate`` /
``AlreadyExists``, everything else propagates as the caller's bug or AWS's outage.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from alerting.errors import ConcurrentUpdate, InvalidInput

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

Item = dict[str, Any]
T = TypeVar("T")
FOREIGN_TOKEN = "does not belong to this listing (were the filters changed?)"


def to_item(data: Mapping[str, Any]) -> Item:
    """Plain JSON-like data → DynamoDB attribute values (floats as Decimal, None dropped)."""
    return {k: _serializer.serialize(_to_dynamo(v)) for k, v in data.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _from_dynamo(_deserializer.deserialize(v)) for k, v in item.items()}


def key(**parts: str) -> Item:
    return {k: {"S": v} for k, v in parts.items()}


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_from_dynamo(v) for v in value]
    return value


def encode_token(last_key: Mapping[str, Any] | None, listing: str) -> str | None:
    """The page token: where the page ended, and which listing it belongs to."""
    if not last_key:
        return None
    raw = json.dumps({"l": listing, "k": from_item(last_key)}, sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str | None, listing: str) -> Item | None:
    """The start key of ``token``; a token of another listing (other filters, another resource)
    is refused rather than answered with a wrong or empty page."""
    if not token:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(data, dict) or not isinstance(data.get("k"), dict):
            raise ValueError("not a token")
        if data.get("l") == listing:
            # A key holds strings and numbers only; one that DynamoDB cannot store (1e999, a
            # 40-digit integer) fails here, not as a server error in the Query.
            if not all(_key_value(v) for v in data["k"].values()):
                raise ValueError("not a key")
            return to_item(data["k"])
    except (ValueError, binascii.Error, TypeError, ArithmeticError, RecursionError) as exc:
        raise InvalidInput("next_token", "is not a token this API issued") from exc
    raise InvalidInput("next_token", FOREIGN_TOKEN)


def _key_value(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)  # NaN, 1e999 (and boto3 would let -Infinity through)
    return isinstance(value, str | int) and not isinstance(value, bool)


def listing_of(params: Mapping[str, Any]) -> str:
    """A short digest of what a Query selects (table, index, key condition, filter, values)."""
    scope = {k: v for k, v in params.items() if k not in ("ExclusiveStartKey", "Limit")}
    return hashlib.sha256(json.dumps(scope, sort_keys=True, default=str).encode()).hexdigest()[:16]


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def transact(client: Any, operations: list[Item]) -> None:
    """Write all-or-nothing. One operation goes as a plain conditional write (half the cost)."""
    if not operations:
        return
    try:
        if len(operations) == 1:
            ((kind, params),) = operations[0].items()
            {"Put": client.put_item, "Delete": client.delete_item}[kind](**params)
        else:
            client.transact_write_items(TransactItems=operations)
    except ClientError as exc:
        if error_code(exc) == "ConditionalCheckFailedException" or _lost_race(exc):
            raise ConcurrentUpdate(f"conditional write lost a race: {error_code(exc)}") from exc
        raise


def _lost_race(exc: ClientError) -> bool:
    """A cancelled transaction is a race only when a condition failed or another write collided;
    a validation error or throttling must surface as what it is."""
    if error_code(exc) != "TransactionCanceledException":
        return False
    codes = {r.get("Code") for r in exc.response.get("CancellationReasons", [])}
    return bool(codes & {"ConditionalCheckFailed", "TransactionConflict"})


def put(table: str, item: Item, condition: str | None = None, values: Item | None = None) -> Item:
    params: dict[str, Any] = {"TableName": table, "Item": item}
    if condition:
        params["ConditionExpression"] = condition
    if values:
        params["ExpressionAttributeValues"] = values
    return {"Put": params}


def versioned_put(table: str, item: Item, key_attr: str, expected_version: int) -> Item:
    """Put that succeeds only over the version read (or where nothing exists, for version 0)."""
    if expected_version == 0:
        return put(table, item, f"attribute_not_exists({key_attr})")
    return put(table, item, "version = :expected", {":expected": {"N": str(expected_version)}})


def query_page(
    client: Any,
    params: dict[str, Any],
    limit: int,
    next_token: str | None,
    decode: Callable[[Item], T],
    keep: Callable[[T], bool] | None = None,
    scope: str = "",
) -> tuple[list[T], str | None]:
    """One page of at most `limit` decoded items of a Query; `keep` filters without breaking
    pagination. A page that ends exactly on the last item still carries a token; the next page
    is then empty with no token, which clients handle like any last page. ``scope`` names what
    ``keep`` selects, so that a token is only good for the same filters."""
    listing = listing_of({**params, "scope": scope})
    start = decode_token(next_token, listing)
    items: list[T] = []
    while True:
        if start:
            params["ExclusiveStartKey"] = start
        params["Limit"] = limit - len(items)
        try:
            response = client.query(**params)
        except ClientError as exc:  # a token that decodes fine, whose key DynamoDB refuses as a start
            if next_token and error_code(exc) == "ValidationException":
                raise InvalidInput("next_token", FOREIGN_TOKEN) from None
            raise
        decoded = (decode(i) for i in response.get("Items", []))
        items.extend(o for o in decoded if keep is None or keep(o))
        start = response.get("LastEvaluatedKey")
        if not start or len(items) >= limit:
            return items, encode_token(start, listing)


BATCH_KEYS = 100  # BatchGetItem's limit per call


def batch_get(client: Any, table: str, keys: list[Item], attempts: int = 5) -> list[Item]:
    """The items of ``keys`` that exist, strongly consistent, ≤ 100 keys a call; keys DynamoDB
    leaves unprocessed (throttling) are asked again."""
    found: list[Item] = []
    for start in range(0, len(keys), BATCH_KEYS):
        pending: dict[str, Any] = {table: {"Keys": keys[start : start + BATCH_KEYS], "ConsistentRead": True}}
        for _ in range(attempts):
            response = client.batch_get_item(RequestItems=pending)
            found += response.get("Responses", {}).get(table, [])
            pending = response.get("UnprocessedKeys") or {}
            if not pending:
                break
        else:
            raise RuntimeError(f"BatchGetItem left keys unprocessed after {attempts} attempts (throttled)")
    return found


def query_index(
    client: Any, table: str, index: str, key: tuple[str, Item], at_least: tuple[str, Item] | None = None
) -> Iterator[Item]:
    """Every item of ``index`` whose partition key is ``key`` (name, value) and, with ``at_least``,
    whose sort key is at least that (name, value)."""
    names, values, condition = {"#k": key[0]}, {":k": key[1]}, "#k = :k"
    if at_least is not None:
        names["#s"], values[":s"] = at_least
        condition += " AND #s >= :s"
    return paginate(
        client,
        "query",
        TableName=table,
        IndexName=index,
        KeyConditionExpression=condition,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )


def paginate(client: Any, operation: str, **params: Any) -> Iterator[Item]:
    """Every item of a Query or Scan, following LastEvaluatedKey."""
    call = getattr(client, operation)
    while True:
        page = call(**params)
        yield from page.get("Items", [])
        last = page.get("LastEvaluatedKey")
        if not last:
            return
        params["ExclusiveStartKey"] = last
