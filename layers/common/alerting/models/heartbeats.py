"""Heartbeats: a job that stops checking in pages too (the dead man's switch, §16).

A heartbeat expects a ping (`GET` or `POST /ping/{key}`) every `period_seconds`; when none has
come for `period_seconds + grace_seconds`, the sweep opens a `heartbeat` alert, and the next
ping resolves it. `/ping/{key}/fail` fires at once (the job says it failed).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, ClassVar

from pydantic import Field

from alerting.models.alerts import AlertSource
from alerting.models.common import Category, Model, ResourceId, Severity, Stored, UtcDatetime
from alerting.models.integrations import LabelName, LabelValue
from alerting.models.signals import Signal


class HeartbeatSpec(Model):
    heartbeat_id: ResourceId | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)]
    period_seconds: Annotated[int, Field(ge=60, le=31 * 86_400, strict=True)]
    grace_seconds: Annotated[int, Field(ge=0, le=7 * 86_400, strict=True)] = 300
    labels: Annotated[dict[LabelName, LabelValue], Field(max_length=20)] = {}
    severity: Severity = Severity.high
    enabled: bool = True


class Heartbeat(Stored, HeartbeatSpec):
    ID_FIELD: ClassVar[str] = "heartbeat_id"
    heartbeat_id: ResourceId
    key_hash: str | None = None  # sha256 of its ping key; never the key
    key_hint: str | None = None
    last_ping_at: UtcDatetime | None = None  # also the time it was created, until its first ping
    due_at: UtcDatetime | None = None  # when silence becomes an alert: last ping + period + grace

    def due_after(self, ping: datetime) -> datetime:
        return ping + timedelta(seconds=self.period_seconds + self.grace_seconds)

    def signal(self, firing: bool, at: datetime, reason: str) -> Signal:
        """What this heartbeat says at ``at``: gone quiet or failed (firing), or back (resolved)."""
        return Signal(
            source=AlertSource.heartbeat,
            origin=f"heartbeat:{self.heartbeat_id}",
            name=self.name,
            key="",
            firing=firing,
            at=at,
            reason=reason,
            severity=self.severity,
            category=Category.availability,
            labels={**self.labels, "heartbeat": self.heartbeat_id},
            annotations={"summary": f"{self.name}: {reason}"},
        )
