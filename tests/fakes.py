"""In-memory fakes behind the same interfaces as the adapters (preferred over mocks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from alerting.channels.base import GroupMessage, Message, Receipt
from alerting.errors import DeliveryError
from alerting.models.channels import DeliveryRecord
from alerting.repositories.breakers import Breaker


class FakeLedger:
    """The delivery-record half of AlertRepository, with the same claim semantics."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, int, str], DeliveryRecord] = {}
        self.failing_saves: list[str] = []  # statuses whose next save is throttled, in order

    def _throttle(self, record: DeliveryRecord) -> None:
        if self.failing_saves and self.failing_saves[0] == record.status.value:
            self.failing_saves.pop(0)
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "PutItem")

    def get_delivery(self, alert_id: str, seq: int, channel_id: str) -> DeliveryRecord | None:
        return self.records.get((alert_id, seq, channel_id))

    def get_deliveries(self, alert_id: str, seq: int, channel_ids: list[str]) -> dict[str, DeliveryRecord]:
        found = {c: self.records.get((alert_id, seq, c)) for c in channel_ids}
        return {c: r for c, r in found.items() if r is not None}

    def claim_delivery(self, record: DeliveryRecord, previous: DeliveryRecord | None) -> bool:
        key = (record.alert_id, record.seq, record.channel_id)
        current = self.records.get(key)
        if previous is None and current is not None:
            return False
        if previous is not None and (
            current is None or (current.attempts, current.status) != (previous.attempts, previous.status)
        ):
            return False
        self.records[key] = record
        return True

    def save_delivery(self, record: DeliveryRecord) -> None:
        self._throttle(record)
        self.records[(record.alert_id, record.seq, record.channel_id)] = record

    def deliveries(self, alert_id: str) -> list[DeliveryRecord]:
        return [r for (a, _, _), r in sorted(self.records.items()) if a == alert_id]


class FakeBreakers:
    def __init__(self) -> None:
        self.breakers: dict[str, Breaker] = {}

    def get(self, channel_id: str) -> Breaker:
        return self.breakers.get(channel_id, Breaker(channel_id))

    def get_many(self, channel_ids: list[str]) -> dict[str, Breaker]:
        return {c: self.get(c) for c in channel_ids}

    def save(self, breaker: Breaker) -> None:
        self.breakers[breaker.channel_id] = breaker


@dataclass
class ScriptedSender:
    """Answers each send with the next scripted outcome: a Receipt or a DeliveryError."""

    script: list[Receipt | DeliveryError] = field(default_factory=list)
    sent: list[Message] = field(default_factory=list)
    groups: list[GroupMessage] = field(default_factory=list)

    def send(self, message: Message) -> Receipt:
        self.sent.append(message)
        return self._next()

    def send_group(self, group: GroupMessage) -> Receipt:
        self.groups.append(group)
        return self._next()

    def _next(self) -> Receipt:
        outcome = self.script.pop(0) if self.script else Receipt(provider_message_id="ok")
        if isinstance(outcome, DeliveryError):
            raise outcome
        return outcome


def retryable(status: int = 500, retry_after: float | None = None) -> DeliveryError:
    return DeliveryError(f"answered {status}", retryable=True, retry_after=retry_after, status_code=status)


def permanent(status: int = 400) -> DeliveryError:
    return DeliveryError(f"answered {status}", retryable=False, status_code=status)


@dataclass
class Parked:
    messages: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
