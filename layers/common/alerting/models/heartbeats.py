"""Heartbeats: a job that stops checking in pages too (the dead man's switch, §16).

A heartbeat expects a ping (`GET` or `POST /ping/{key}`) every `period_seconds`; when none has
come for `period_seconds + grace_seconds`, the sweep opens a `heartbeat` alert, and the next
ping resolves it. `/ping/{key}/fail` fires at once (the job says it failed).

What the API writes (`Heartbeat`) and what pings and the sweep write (`HeartbeatState`) are two
items: a ping never races an edit of the heartbeat, and an edit never undoes a ping.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, ClassVar

from pydantic import Field

from alerting.models.alerts import AlertSource
from alerting.models.common import Category, Model, ResourceId, Severity, Stored, UtcDatetime, iso
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

    @property
    def origin(self) -> str:
        """Its alerts' origin (their `rule_id`): one alert at a time per heartbeat."""
        return f"heartbeat:{self.heartbeat_id}"

    def due_after(self, ping: datetime) -> datetime:
        """When silence after a ping at ``ping`` becomes an alert."""
        return ping + timedelta(seconds=self.period_seconds + self.grace_seconds)

    def silence(self, since: datetime) -> str:
        """Why it fires when no ping came after ``since``."""
        return f"no ping since {iso(since)} (period {self.period_seconds} s + grace {self.grace_seconds} s)"

    def signal(self, firing: bool, at: datetime, reason: str) -> Signal:
        """What this heartbeat says at ``at``: gone quiet or failed (firing), or back (resolved)."""
        return Signal(
            source=AlertSource.heartbeat,
            origin=self.origin,
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


class HeartbeatState(Model):
    """A heartbeat's pings as pings and the sweep write them."""

    heartbeat_id: ResourceId
    since: UtcDatetime  # what its period and grace count from: its last ping, or when it was created or enabled
    last_ping_at: UtcDatetime | None = None  # None: never pinged
    pings: int = 0  # every ping recorded, failures included
    down_since: UtcDatetime | None = None  # the due time it missed, or its failure; None while up
    indexed: UtcDatetime | None = None  # the minute of its due entry (None: it has none while down)
    version: int = 0  # 0: never stored; each write is conditional on the version read
