"""The notifier's queue messages: on the retry queue a transition's next delivery round or a
group's flush, on the dead-letter queue a delivery given up."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from alerting.errors import MalformedRecord
from alerting.models.alerts import Alert
from alerting.models.common import AlertEvent
from alerting.repositories.queues import Queue
from alerting.stream import Notice


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


@dataclass(frozen=True)
class RetryQueue:
    """What the notifier puts on its retry queue (a wait beyond SQS's 15 minutes is served in
    steps: a round or flush that arrives early finds itself not due and schedules itself again)."""

    queue: Queue

    def round(self, notice: Notice, channel_id: str, delay: int) -> None:
        self.queue.send(retry_message(notice, channel_id), delay)

    def flush(self, flush: Flush, delay: int) -> None:
        self.queue.send(flush_message(flush), delay)


@dataclass(frozen=True)
class DeadLetters:
    """Deliveries given up, each with its document, on the notifier's dead-letter queue."""

    queue: Queue

    def __call__(self, message: dict[str, Any]) -> None:
        self.queue.send(json.dumps(message, default=str))
