"""Stream record → the transition to announce, or None when the record is not one; and the
retry-queue message that carries a transition to its next delivery round."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from alerting.models.alerts import Alert
from alerting.models.common import AlertEvent
from alerting.repositories.dynamo import from_item


class MalformedRecord(ValueError):
    """The record cannot be read as an alert change; reported as that record's failure."""


@dataclass(frozen=True)
class Notice:
    alert: Alert
    event: AlertEvent
    seq: int


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


def retry_message(notice: Notice, channel_id: str) -> str:
    """The transition as it was (the alert may have moved on since) and the channel to retry."""
    return json.dumps(
        {
            "alert": notice.alert.model_dump(mode="json"),
            "event": notice.event.value,
            "seq": notice.seq,
            "channel_id": channel_id,
        }
    )


def parse_retry(body: str) -> tuple[Notice, str]:
    try:
        data = json.loads(body)
        notice = Notice(Alert.model_validate(data["alert"]), AlertEvent(data["event"]), int(data["seq"]))
        return notice, str(data["channel_id"])
    except (ValueError, TypeError, KeyError) as exc:
        raise MalformedRecord(f"not a delivery retry: {type(exc).__name__}") from None


@dataclass(frozen=True)
class Flush:
    """A group's message is due: the group, and on a retry the members that travel with it."""

    channel_id: str
    key: str
    members: tuple[str, ...] = ()
    rounds: int = 0


def flush_message(flush: Flush) -> str:
    return json.dumps(
        {
            "flush": {
                "channel_id": flush.channel_id,
                "key": flush.key,
                "members": list(flush.members),
                "rounds": flush.rounds,
            }
        }
    )


def parse_queue_message(body: str) -> tuple[Notice, str] | Flush:
    """A retry-queue message: the next round of one delivery, or a group's message."""
    try:
        data = json.loads(body)
        if isinstance(data, dict) and "flush" in data:
            f = data["flush"]
            return Flush(
                str(f["channel_id"]), str(f["key"]), tuple(map(str, f.get("members") or ())), int(f.get("rounds", 0))
            )
    except (ValueError, TypeError, KeyError) as exc:
        raise MalformedRecord(f"not a group flush: {type(exc).__name__}") from None
    return parse_retry(body)
