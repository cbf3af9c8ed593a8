"""Alerts-table stream record → the transition it announces (or None when it is not one).

Read by both consumers of the stream: the notifier and the live broadcaster. The images are
DynamoDB items, so they are decoded here, beside the item codec.
"""

from __future__ import annotations

from typing import Any

from alerting.errors import MalformedRecord
from alerting.models.alerts import Alert
from alerting.repositories.dynamo import from_item
from alerting.stream import Notice


def _alert(image: dict[str, Any]) -> Alert:
    data = from_item(image)
    data.pop("feed", None)
    return Alert.model_validate(data)


def parse_record(record: dict[str, Any]) -> Notice | None:
    """INSERT is a new alert; MODIFY that bumps `version` is a transition; anything else is not."""
    name = record.get("eventName")
    change = record.get("dynamodb")
    if name not in ("INSERT", "MODIFY", "REMOVE") or not isinstance(change, dict):
        raise MalformedRecord(f"not a DynamoDB stream record (eventName={name!r})")
    if name == "REMOVE":
        return None
    if "NewImage" not in change:
        raise MalformedRecord("stream record has no NewImage (the stream must be NEW_AND_OLD_IMAGES)")
    try:
        alert = _alert(change["NewImage"])
        old_version = _alert(change["OldImage"]).version if name == "MODIFY" and "OldImage" in change else 0
    except (ValueError, TypeError, KeyError) as exc:
        raise MalformedRecord(f"image is not an alert: {type(exc).__name__}") from None
    if alert.version <= old_version:
        return None  # a no-op or non-transition rewrite (moto emits these; AWS does not)
    return Notice(alert, alert.last_transition.event, alert.version)
