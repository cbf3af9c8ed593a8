"""Alerts, their transitions (history), and the per-series evaluation state."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field

from alerting.models.common import (
    OPEN_STATUSES,
    AlertEvent,
    AlertStatus,
    Category,
    Model,
    Severity,
    UtcDatetime,
)
from alerting.models.conditions import Condition


class AlertKind(StrEnum):
    threshold = "threshold"
    nodata = "nodata"  # treat_missing_data=alert: the series stopped reporting
    error = "error"  # on_error=alert: its queries keep failing


class AlertSource(StrEnum):
    """Where an alert came from; each source has its own fingerprint (docs/sources.md)."""

    rule = "rule"  # our evaluator: rule + series
    cloudwatch = "cloudwatch"  # a CloudWatch alarm's state change: the alarm (+ contributor)
    prometheus = "prometheus"  # the Alertmanager API: the label set
    events = "events"  # the Events API: routing key + dedup_key
    heartbeat = "heartbeat"  # a heartbeat that missed its period: the heartbeat


class Resolution(StrEnum):
    auto = "auto"
    manual = "manual"


class ConditionValue(Model):
    """What one condition saw at the evaluation that changed the alert."""

    metric: str
    statistic: str
    operator: str
    threshold: float
    value: float | None = None  # no datapoint; absent from the stored item

    @classmethod
    def observed(cls, condition: Condition, value: float | None) -> Self:
        return cls(
            metric=condition.label(),
            statistic=condition.statistic,
            operator=condition.operator.value,
            threshold=condition.threshold,
            value=value,
        )


class Transition(Model):
    """One entry of an alert's history; `seq` equals the alert's `version` after it."""

    alert_id: str
    seq: int
    event: AlertEvent
    at: UtcDatetime
    actor: str
    reason: str = ""
    note: str = ""
    settled: bool = False  # where a flapping series settled: announced to the rule's audience


class Alert(Model):
    alert_id: str
    # The alert's origin: a rule's id, or `<source>:<id>` (the alarm's ARN, the integration's or
    # the heartbeat's id) for other sources; `rule_name` is the origin's name either way.
    rule_id: str
    rule_name: str
    source: AlertSource = AlertSource.rule
    source_url: str | None = None  # where the origin lives (the alarm in the CloudWatch console)
    kind: AlertKind = AlertKind.threshold
    fingerprint: str
    series: dict[str, str] = {}
    severity: Severity
    category: Category
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    status: AlertStatus
    values: list[ConditionValue] = []
    channels: list[str] = []
    escalation_policy_id: str | None = None
    # The windows of the routes it matched as it opened: muted while one of `mute_windows` is
    # active, and, when it has `active_windows`, unless one of those is (`alerting.routing`).
    mute_windows: list[str] = []
    active_windows: list[str] = []
    started_at: UtcDatetime
    acknowledged_at: UtcDatetime | None = None
    acknowledged_by: str | None = None
    resolved_at: UtcDatetime | None = None
    resolved_by: str | None = None
    resolution: Resolution | None = None
    escalation_level: int = 0  # 1-based level of the policy last notified; 0 without a policy
    escalation_cycle: int = 0  # times the policy started again at level 1
    escalation_reached: int = 0  # the highest level ever notified: they hear what happens next
    escalated_at: UtcDatetime | None = None  # when that level was notified
    ack_expires_at: UtcDatetime | None = None  # an acknowledgement that lapses (snooze)
    repeat_count: int = 0
    repeated_at: UtcDatetime | None = None  # the last `repeat` announcement
    silences_ended: list[str] = []  # silences whose end re-announced this alert (once each)
    flapping: bool = False  # its series flaps: transitions are recorded, not notified, until it settles
    updated_at: UtcDatetime
    version: Annotated[int, Field(ge=1)] = 1
    last_transition: Transition

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class SeriesStatus(StrEnum):
    ok = "ok"
    pending = "pending"  # breaching, not yet M of N (or held back by cooldown / rate limit)
    firing = "firing"  # an alert is open (firing or acknowledged)


class SeriesState(Model):
    """What the evaluator remembers about one series between ticks.

    Written only when it changes; `version` guards every write (conditional put), and
    `last_tick` makes a tick evaluated twice count once.
    """

    rule_id: str
    fingerprint: str
    series: dict[str, str] = {}
    definition: str = ""
    status: SeriesStatus = SeriesStatus.ok
    history: str = ""  # oldest → newest counted evaluations: "B" breach, "." ok; at most N long
    history_at: list[int] = []  # the tick (epoch seconds) of each, so an old one stops counting
    recovered_streak: int = 0
    missing_streak: int = 0
    alert_id: str | None = None
    nodata_alert_id: str | None = None
    error_alert_id: str | None = None  # on_error=alert: the open alert of failing queries
    error_streak: int = 0  # consecutive failed evaluations (capped at M)
    last_resolved_at: int | None = None  # epoch seconds, for the cooldown
    alert_starts: list[int] = []  # epoch seconds of alerts started in the last hour (rate limit)
    suppressed: str | None = None  # "cooldown" / "rate_limit" while a due alert is held back
    last_tick: int = 0  # epoch seconds of the last tick that changed this state
    missing_since: int | None = None  # fleet rules: the tick from which no condition had data
    # Flapping (rules with `flapping`): recent starts, whether it flaps now, its latest alert,
    # and when the series last started or resolved one (epoch seconds).
    # Warning and critical: the open alert's level, and consecutive evaluations toward a change.
    level: str = "critical"
    level_streak: int = 0
    flap_starts: list[int] = []
    flapping: bool = False
    flap_alert_id: str | None = None
    last_change_at: int | None = None
    version: int = 0  # 0: never stored
