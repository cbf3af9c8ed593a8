"""What a source other than our rules says about one alert, in one shape for every source.

A CloudWatch alarm's state change, an alert posted to the Alertmanager API, an Events API
event, a heartbeat gone quiet: each becomes a `Signal` (firing or resolved, at the source's
time), and the alert lifecycle turns signals into alerts (`AlertLifecycle.receive`).
"""

from __future__ import annotations

from enum import StrEnum

from alerting.models.alerts import AlertSource
from alerting.models.common import Category, Model, Severity, UtcDatetime, digest


class SignalOutcome(StrEnum):
    opened = "opened"
    resolved = "resolved"
    refreshed = "refreshed"  # firing again for an alert already open: remembered, not announced
    unchanged = "unchanged"  # resolved for an alert that is not open: nothing to do
    duplicate = "duplicate"  # the same event delivered again
    stale = "stale"  # older than what the source already told us: never reopens or resolves


def fingerprint_of(origin: str, key: str) -> str:
    """What the lifecycle knows a source's alert by: the origin and the source's key within it."""
    return digest({"origin": origin, "key": key})


class Signal(Model):
    source: AlertSource
    origin: str  # the source's id of what alerts: `cloudwatch:<alarm arn>`, `heartbeat:<id>`, ...
    name: str  # shown as the alert's name (the alarm's name, the alertname, the summary)
    key: str  # the source's fingerprint within the origin (the contributor, the label set, dedup_key)
    firing: bool
    at: UtcDatetime  # the source's time of this state: orders events that arrive out of order
    event_id: str = ""  # the source's id of this event, to tell a redelivery from a new event
    reason: str = ""
    severity: Severity = Severity.high
    category: Category = Category.availability
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    source_url: str | None = None
    # Firing until then unless the source says so again (Alertmanager's `endsAt`): past it, the
    # alert resolves without another word from the source (`alerting.lifecycle.signals.lapse`).
    ends_at: UtcDatetime | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.origin, self.key)

    @property
    def actor(self) -> str:
        """The history's actor of what this source does to an alert."""
        return self.source.value


class Latest(Model):
    """What the lifecycle remembers per (origin, fingerprint): the source's newest state and the
    alert it opened last (stored next to the alerts' log; `version` guards every write)."""

    origin: str
    fingerprint: str
    opened: str | None = None  # the id of the alert it opened last
    at: UtcDatetime
    event_id: str = ""
    firing: bool
    ends_at: UtcDatetime | None = None  # the firing state's end, unless the source repeats it
    version: int = 0  # 0: never stored
