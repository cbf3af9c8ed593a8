"""Things that may be used once (a signed Slack request; an ack link), in the config table
(``pk = "once"``, ``sk = "<scope>#<token>"``): the first ``claim`` of a token wins, any later one
is told it was used.

A claim is one conditional PutItem, so two requests racing with the same token cannot both win.
The item expires (TTL) once the token could no longer be accepted anyway; DynamoDB deletes
expired items late (within days), so a token's own expiry, checked before claiming, is what
refuses an old one: the item only has to outlive that.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from alerting.repositories.config import TTL_ATTRIBUTE
from alerting.repositories.dynamo import error_code, to_item

KIND_ONCE = "once"


class OnceStore:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def claim(self, scope: str, token: str, keep_until: int) -> bool:
        """Use ``token`` of ``scope`` ("slack", "ack-link"); True the first time, False after.
        ``keep_until``: epoch seconds past which the token is refused on its own."""
        item = {"pk": KIND_ONCE, "sk": f"{scope}#{token}", TTL_ATTRIBUTE: keep_until}
        try:
            self._client.put_item(
                TableName=self._table, Item=to_item(item), ConditionExpression="attribute_not_exists(sk)"
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True
