"""The audit log, on the alert log table: one partition per month (`audit#2026-05`), sorted by
time, so the newest entries are a Query read backwards, never a Scan. Entries expire 400 days
after they were written (the table's `expires_at` TTL)."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from alerting.errors import InvalidInput
from alerting.models.audit import AuditEntry
from alerting.models.common import Page, iso
from alerting.repositories.dynamo import from_item, to_item

KEPT = timedelta(days=400)
PARTITION = "audit#"


@dataclass(frozen=True)
class AuditFilter:
    since: datetime | None = None
    until: datetime | None = None
    actor: str | None = None
    resource: str | None = None  # a kind (`rule`) or one resource (`rule/cpu-high`)

    def keeps(self, entry: AuditEntry) -> bool:
        if self.actor is not None and entry.actor != self.actor:
            return False
        if self.resource is None:
            return True
        return entry.resource == self.resource or entry.resource.startswith(self.resource + "/")


class AuditRepository:
    def __init__(self, client: Any, log_table: str) -> None:
        self._client = client
        self._table = log_table

    def record(
        self,
        actor: str,
        action: str,
        resource: str,
        now: datetime,
        *,
        change: dict[str, Any] | None = None,
        note: str = "",
    ) -> AuditEntry:
        """One call for every writer (the API, Slack buttons, ack links): ``resource`` is
        `<kind>/<id>`; ``change`` a summary from `alerting.audit.change_of` (never a secret)."""
        entry = AuditEntry(
            entry_id=uuid.uuid4().hex[:12], at=now, actor=actor, action=action, resource=resource,
            change=change or {}, note=note,
        )  # fmt: skip
        item = {
            "alert_id": _partition(now),
            "sk": f"{iso(now)}.{now.microsecond:06d}#{entry.entry_id}",  # newest last within a second too
            "expires_at": int((now + KEPT).timestamp()),
            **entry.model_dump(mode="json"),
        }
        self._client.put_item(TableName=self._table, Item=to_item(item))
        return entry

    def page(self, filters: AuditFilter, limit: int, next_token: str | None, now: datetime) -> Page[AuditEntry]:
        """Newest first, month by month back to ``since`` (at most 400 days)."""
        start = _decode(next_token)
        until = filters.until or now
        since = max(filters.since or now - KEPT, now - KEPT)
        items: list[AuditEntry] = []
        for month in _months(start["alert_id"][len(PARTITION) :] if start else _month(until), _month(since)):
            for raw in self._newest_first(month, iso(since), iso(until), start):
                start = None
                entry = AuditEntry.model_validate(_strip(raw))
                if filters.keeps(entry):
                    items.append(entry)
                if len(items) == limit:
                    return Page[AuditEntry](items=items, next_token=_encode(raw))
        return Page[AuditEntry](items=items)

    def _newest_first(
        self, month: str, since: str, until: str, start: dict[str, Any] | None
    ) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "alert_id = :p AND sk BETWEEN :s AND :u",
            "ExpressionAttributeValues": to_item({":p": PARTITION + month, ":s": since, ":u": until + "~"}),
            "ScanIndexForward": False,
        }
        if start is not None and start["alert_id"] == PARTITION + month:
            params["ExclusiveStartKey"] = to_item(start)
        while True:
            response = self._client.query(**params)
            yield from (from_item(i) for i in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _partition(at: datetime) -> str:
    return PARTITION + _month(at)


def _month(at: datetime) -> str:
    return at.strftime("%Y-%m")


def _months(newest: str, oldest: str) -> Iterator[str]:
    year, month = (int(part) for part in newest.split("-"))
    while f"{year:04d}-{month:02d}" >= oldest:
        yield f"{year:04d}-{month:02d}"
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)


def _strip(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k not in ("alert_id", "sk", "expires_at")}


def _encode(raw: dict[str, Any]) -> str:
    key = json.dumps({"alert_id": raw["alert_id"], "sk": raw["sk"]}).encode()
    return base64.urlsafe_b64encode(key).decode().rstrip("=")


def _decode(token: str | None) -> dict[str, Any] | None:
    if not token:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not (
            isinstance(key, dict) and set(key) == {"alert_id", "sk"} and str(key["alert_id"]).startswith(PARTITION)
        ):
            raise ValueError("not an audit key")
        datetime.strptime(key["alert_id"][len(PARTITION) :], "%Y-%m")
        return {"alert_id": str(key["alert_id"]), "sk": str(key["sk"])}
    except (ValueError, binascii.Error, TypeError, UnicodeDecodeError) as exc:
        raise InvalidInput("next_token", "is not a token this API issued") from exc
