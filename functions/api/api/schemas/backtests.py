"""A backtest's request and report (`POST /rules/backtest`, `POST /rules/{rule_id}/backtest`)."""

from __future__ import annotations

from pydantic import Field

from alerting.models.common import Model, UtcDatetime
from alerting.models.rules import RuleSpec


class BacktestRange(Model):
    """Body of `POST /rules/{rule_id}/backtest`: the past range to replay."""

    start: UtcDatetime = Field(description="ISO-8601; at most 15 months ago (CloudWatch keeps no older data)")
    end: UtcDatetime | None = Field(default=None, description="ISO-8601; default now")
    plan_only: bool = Field(
        default=False, description="Only plan and price it (GetMetricData calls, cost, evaluations): nothing is read"
    )


class UnsavedBacktest(BacktestRange):
    """Body of `POST /rules/backtest`: a rule as `POST /rules` takes it, not saved. With the
    `rule_id` of a saved rule it is an edit of it: the report says what the change adds and removes."""

    rule: RuleSpec


class BacktestResolution(Model):
    start: UtcDatetime
    end: UtcDatetime
    seconds: int = Field(description="60: exact; 300 or 3600: CloudWatch holds only that resolution so far back")


class BacktestPlan(Model):
    ticks: int = Field(description="Evaluation ticks (due minutes) in the range")
    series: int
    evaluations: int = Field(description="Ticks x series, of every rule replayed (an edit and the saved rule)")
    get_metric_data_calls: int
    metrics_requested: int = Field(description="What GetMetricData bills: the queries of every call")
    datapoints: int
    cost_usd: float = Field(description="The reads at list price, before they are made")
    list_metrics_calls: int
    exact: bool = Field(description="Every tick read its own window at 1-minute resolution")
    resolutions: list[BacktestResolution]
    max_calls: int
    max_evaluations: int | None


class BacktestThreshold(Model):
    label: str
    operator: str
    threshold: float
    warning_threshold: float | None = None
    resolve_threshold: float | None = None


class BacktestAlert(Model):
    alert_id: str
    series: dict[str, str]
    kind: str
    severity: str = Field(description="The highest it reached")
    started_at: UtcDatetime
    resolved_at: UtcDatetime | None = Field(description="null: still open at the end of the range")
    peak: float | None = Field(description="The first condition's most extreme value while it was open")
    firing_seconds: int
    flapping: bool


class BacktestNotification(Model):
    alert_id: str
    series: dict[str, str]
    event: str
    at: UtcDatetime
    suppressed_by: str | None = Field(description="null: announced; else the silence, mute window or flapping")


class BacktestNotifications(Model):
    sent: int
    suppressed: dict[str, int] = Field(description="Transitions kept quiet, by reason")
    items: list[BacktestNotification] = Field(description="The first 200, in time order")
    truncated: bool


class BacktestSpan(Model):
    series: dict[str, str]
    start: UtcDatetime
    end: UtcDatetime


class BacktestComparison(Model):
    """An edited rule against the rule as saved, over the same data."""

    saved_version: int
    alerts_before: int
    alerts_after: int
    firing_seconds_before: int
    firing_seconds_after: int
    notifications_before: int
    notifications_after: int
    added: list[BacktestAlert] = Field(description="Alerts with no overlapping alert of the saved rule")
    removed: list[BacktestAlert] = Field(description="The saved rule's alerts the edit no longer raises")
    added_spans: list[BacktestSpan] = Field(description="Time firing that only the edit fires")
    removed_spans: list[BacktestSpan] = Field(description="Time firing that only the saved rule fires")


class BacktestResult(Model):
    """What the rule would have done over the range, replayed tick by tick through the evaluator.
    Deterministic: the same rule, range and data give the same result."""

    rule_id: str
    start: UtcDatetime
    end: UtcDatetime
    ran: bool = Field(description="false when only planned (`plan_only`)")
    plan: BacktestPlan
    series: list[dict[str, str]]
    thresholds: list[BacktestThreshold]
    alerts: list[BacktestAlert]
    firing_seconds: int
    flaps: int = Field(description="Times a series started flapping")
    transitions: dict[str, int]
    notifications: BacktestNotifications
    monthly_cost_usd: float = Field(description="The rule's GetMetricData a month in production")
    comparison: BacktestComparison | None = None
