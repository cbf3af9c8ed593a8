"""The live view's WebSocket connections (their own table, TTL ``expires_at``) and the
API Gateway management API that pushes to them.

The broadcaster reads every connection once per batch of stream records: a deployment has
dashboards in the tens, not the thousands, so a Scan of this small table is one request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from alerting.errors import AlertingError, NotFound
from alerting.live import CONNECTION_TTL_SECONDS, Subscription
from alerting.repositories.dynamo import error_code, from_item, key, paginate, to_item


@dataclass(frozen=True)
class Connection:
    connection_id: str
    subscription: Subscription


class ConnectionStore:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def connect(self, connection_id: str, subscription: Subscription, caller: str, now: datetime) -> None:
        item = {
            "connection_id": connection_id,
            "subscription": json.dumps(subscription.model_dump(mode="json")),
            "caller": caller,
            "connected_at": int(now.timestamp()),
            "expires_at": int(now.timestamp()) + CONNECTION_TTL_SECONDS,
        }
        self._client.put_item(TableName=self._table, Item=to_item(item))

    def subscribe(self, connection_id: str, subscription: Subscription) -> None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=key(connection_id=connection_id),
                UpdateExpression="SET subscription = :s",
                ConditionExpression="attribute_exists(connection_id)",
                ExpressionAttributeValues={":s": {"S": json.dumps(subscription.model_dump(mode="json"))}},
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise NotFound("connection", connection_id) from None
            raise

    def disconnect(self, connection_id: str) -> None:
        self._client.delete_item(TableName=self._table, Key=key(connection_id=connection_id))

    def all(self, now: datetime) -> list[Connection]:
        """Every connection not yet past its TTL (DynamoDB deletes expired items lazily)."""
        items = paginate(self._client, "scan", TableName=self._table)
        return [
            Connection(data["connection_id"], Subscription.model_validate_json(data["subscription"]))
            for data in map(from_item, items)
            if int(data["expires_at"]) > now.timestamp()
        ]


class PushFailed(AlertingError):
    """The management API could not take a message for a connection (after its retries)."""


class ConnectionPusher:
    """``PostToConnection`` through a client bound to the WebSocket API's stage endpoint."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def push(self, connection_id: str, data: bytes) -> bool:
        """True when sent; False when the connection is gone (410), so it can be forgotten."""
        try:
            self._client.post_to_connection(ConnectionId=connection_id, Data=data)
        except ClientError as exc:
            if error_code(exc) == "GoneException":
                return False
            raise PushFailed(f"PostToConnection failed: {error_code(exc)}") from None
        except BotoCoreError as exc:
            raise PushFailed(f"PostToConnection failed: {type(exc).__name__}") from None
        return True
