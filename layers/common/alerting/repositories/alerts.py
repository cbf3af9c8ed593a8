"""Alerts (alerts table, streamed to the notifier) and their log (history and deliveries).

Alerts table: key ``alert_id``; indexes ``by-status`` (status, started_at), ``by-rule``
(rule_id, started_at) and ``by-time`` (feed, started_at) for the API's filters.
Alert log table: key ``alert_id`` + ``sk``: ``history#000002`` per transition and
``delivery#000002#<channel_id>`` per delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from alerting.errors import NotFound
from alerting.models.alerts import Alert, AlertSource, Transition
from alerting.models.channels import DeliveryRecord
from alerting.models.common import OPEN_STATUSES, AlertStatus, Page, Severity, iso
from alerting.models.signals import Latest
from alerting.repositories.dynamo import (
    Item,
    batch_get,
    error_code,
    from_item,
    key,
    paginate,
    put,
    query_index,
    query_page,
    to_item,
    transact,
    versioned_put,
)

FEED = "alerts"  # the single partition of the by-time index


LATEST = "latest"


def latest_key(fingerprint: str) -> str:
    return f"latest#{fingerprint}"


def history_key(seq: int) -> str:
    return f"history#{seq:06d}"


def delivery_key(seq: int, channel_id: str) -> str:
    return f"delivery#{seq:06d}#{channel_id}"


@dataclass(frozen=True)
class AlertFilter:
    status: AlertStatus | None = None
    severity: Severity | None = None
    source: AlertSource | None = None
    rule_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class AlertRepository:
    def __init__(self, client: Any, alerts_table: str, log_table: str) -> None:
        self._client = client
        self._alerts = alerts_table
        self._log = log_table

    # -- reads ---------------------------------------------------------------------------------
    def get(self, alert_id: str) -> Alert:
        response = self._client.get_item(TableName=self._alerts, Key=key(alert_id=alert_id), ConsistentRead=True)
        if "Item" not in response:
            raise NotFound("alert", alert_id)
        return _decode(response["Item"])

    def page(self, filters: AlertFilter, limit: int, next_token: str | None) -> Page[Alert]:
        """Newest first, from the index that fits the filters; other filters apply on top."""
        if filters.status is not None:
            index, attr, value = "by-status", "status", filters.status.value
        elif filters.rule_id is not None:
            index, attr, value = "by-rule", "rule_id", filters.rule_id
        else:
            index, attr, value = "by-time", "feed", FEED
        names = {"#p": attr}
        values: dict[str, Any] = {":p": {"S": value}}
        condition = "#p = :p"
        if filters.since or filters.until:
            names["#t"] = "started_at"
            values[":since"] = {"S": iso(filters.since) if filters.since else "0"}
            values[":until"] = {"S": iso(filters.until) if filters.until else "9"}
            condition += " AND #t BETWEEN :since AND :until"
        extra = []
        if filters.severity is not None:
            names["#sev"] = "severity"
            values[":sev"] = {"S": filters.severity.value}
            extra.append("#sev = :sev")
        if filters.source is not None:
            names["#src"] = "source"
            values[":src"] = {"S": filters.source.value}
            # alerts stored before sources existed carry none: they are the rules'
            legacy = " OR attribute_not_exists(#src)" if filters.source is AlertSource.rule else ""
            extra.append(f"(#src = :src{legacy})")
        if filters.rule_id is not None and attr != "rule_id":
            names["#rule"] = "rule_id"
            values[":rule"] = {"S": filters.rule_id}
            extra.append("#rule = :rule")
        params: dict[str, Any] = {
            "TableName": self._alerts,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
        }
        if extra:
            params["FilterExpression"] = " AND ".join(extra)
        items, token = query_page(self._client, params, limit, next_token, _decode)
        return Page[Alert](items=items, next_token=token)

    def open_alerts(self) -> list[Alert]:
        """Every firing or acknowledged alert: one Query per status on `by-status` (what the
        sweep reads each tick, proportional to the open alerts, never to the history)."""
        found: list[Alert] = []
        for status in OPEN_STATUSES:
            found.extend(map(_decode, query_index(self._client, self._alerts, "by-status", ("status", {"S": status}))))
        return found

    def open_for_rule(self, rule_id: str) -> list[Alert]:
        items = query_index(self._client, self._alerts, "by-rule", ("rule_id", {"S": rule_id}))
        return [a for a in map(_decode, items) if a.status in OPEN_STATUSES]

    def since(self, start: datetime) -> list[Alert]:
        since = ("started_at", {"S": iso(start)})
        items = query_index(self._client, self._alerts, "by-time", ("feed", {"S": FEED}), since)
        return [_decode(i) for i in items]

    def history(self, alert_id: str) -> list[Transition]:
        return [Transition.model_validate(_strip(i)) for i in self._log_items(alert_id, "history#")]

    def deliveries(self, alert_id: str) -> list[DeliveryRecord]:
        return [DeliveryRecord.model_validate(_strip(i)) for i in self._log_items(alert_id, "delivery#")]

    def _log_items(self, alert_id: str, prefix: str) -> list[dict[str, Any]]:
        items = paginate(
            self._client,
            "query",
            TableName=self._log,
            KeyConditionExpression="alert_id = :a AND begins_with(sk, :p)",
            ExpressionAttributeValues={":a": {"S": alert_id}, ":p": {"S": prefix}},
            ConsistentRead=True,
        )
        return [from_item(i) for i in items]

    # -- what other sources said last (alert log table, ``latest#<fingerprint>``) --------------------
    def latest(self, fingerprint: str) -> Latest | None:
        response = self._client.get_item(
            TableName=self._log, Key=key(alert_id=latest_key(fingerprint), sk=LATEST), ConsistentRead=True
        )
        if "Item" not in response:
            return None
        return _latest(response["Item"])

    def latest_many(self, fingerprints: list[str]) -> dict[str, Latest]:
        """What the sources said last of each of ``fingerprints`` that has a word, by fingerprint
        (one BatchGetItem per hundred)."""
        keys = [key(alert_id=latest_key(f), sk=LATEST) for f in dict.fromkeys(fingerprints)]
        found = [_latest(item) for item in batch_get(self._client, self._log, keys)] if keys else []
        return {latest.fingerprint: latest for latest in found}

    def latest_op(self, latest: Latest) -> Item:
        """Remember `latest` as its next version, only over the version it was read at."""
        stored = latest.model_dump(mode="json") | {"version": latest.version + 1}
        item = to_item({**stored, "alert_id": latest_key(latest.fingerprint), "sk": LATEST})
        return versioned_put(self._log, item, "sk", latest.version)

    # -- writes (composed by the alert lifecycle, the only caller) ---------------------------------
    def commit(self, operations: list[Item]) -> None:
        """All-or-nothing: an alert's new version with its history entry and what changes with it.
        ConcurrentUpdate when a condition failed (another writer got in first)."""
        transact(self._client, operations)

    def write_ops(self, alert: Alert, *transitions: Transition) -> list[Item]:
        """The alert at its new version, only over the version before ``transitions`` (each bumped
        it by one), and their history entries."""
        item = to_item({**alert.model_dump(mode="json"), "feed": FEED})
        histories = [to_item({**t.model_dump(mode="json"), "sk": history_key(t.seq)}) for t in transitions]
        return [
            versioned_put(self._alerts, item, "alert_id", alert.version - len(transitions)),
            *(put(self._log, history, "attribute_not_exists(sk)") for history in histories),
        ]

    # -- delivery records (the notifier's ledger) --------------------------------------------------
    def get_delivery(self, alert_id: str, seq: int, channel_id: str) -> DeliveryRecord | None:
        response = self._client.get_item(
            TableName=self._log,
            Key=key(alert_id=alert_id, sk=delivery_key(seq, channel_id)),
            ConsistentRead=True,
        )
        return DeliveryRecord.model_validate(_strip(from_item(response["Item"]))) if "Item" in response else None

    def get_deliveries(self, alert_id: str, seq: int, channel_ids: list[str]) -> dict[str, DeliveryRecord]:
        """The records of one transition to several channels, in one BatchGetItem."""
        keys = [key(alert_id=alert_id, sk=delivery_key(seq, c)) for c in dict.fromkeys(channel_ids)]
        records = [
            DeliveryRecord.model_validate(_strip(from_item(i))) for i in batch_get(self._client, self._log, keys)
        ]
        return {r.channel_id: r for r in records}

    def claim_delivery(self, record: DeliveryRecord, previous: DeliveryRecord | None) -> bool:
        """Take the (transition, channel) for sending; False when another attempt holds it."""
        item = to_item({**record.model_dump(mode="json"), "sk": delivery_key(record.seq, record.channel_id)})
        if previous is None:
            condition, values = "attribute_not_exists(sk)", None
        else:
            condition = "attempts = :attempts AND #s = :status"
            values = {":attempts": {"N": str(previous.attempts)}, ":status": {"S": previous.status.value}}
        params: dict[str, Any] = {"TableName": self._log, "Item": item, "ConditionExpression": condition}
        if values:
            params["ExpressionAttributeValues"] = values
            params["ExpressionAttributeNames"] = {"#s": "status"}
        try:
            self._client.put_item(**params)
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def save_delivery(self, record: DeliveryRecord) -> None:
        item = to_item({**record.model_dump(mode="json"), "sk": delivery_key(record.seq, record.channel_id)})
        self._client.put_item(TableName=self._log, Item=item)


def _decode(item: Item) -> Alert:
    data = from_item(item)
    data.pop("feed", None)
    return Alert.model_validate(data)


def _latest(item: Item) -> Latest:
    data = from_item(item)
    del data["alert_id"], data["sk"]
    return Latest.model_validate(data)


def _strip(data: dict[str, Any]) -> dict[str, Any]:
    data.pop("sk", None)
    return data
