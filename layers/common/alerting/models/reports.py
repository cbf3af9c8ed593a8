"""What the evaluator returns and what the API reports (summary, health)."""

from __future__ import annotations

from alerting.models.common import Model, UtcDatetime


class EvaluationSummary(Model):
    tick: UtcDatetime
    rules_evaluated: int = 0
    rules_skipped: int = 0  # not due on this tick (evaluation_interval_seconds)
    series: int = 0
    breaches: int = 0
    alerts_fired: int = 0
    alerts_resolved: int = 0
    suppressed: int = 0
    duplicates: int = 0  # series whose tick had already been counted
    errors: int = 0
    state_writes: int = 0
    metric_queries: int = 0
    get_metric_data_calls: int = 0
    open_alerts: int = 0  # what the sweep read
    time_transitions: int = 0  # escalations, reminders and lapsed acknowledgements written
    heartbeats_due: int = 0  # heartbeats the sweep found past their period and grace (their firing sent)
    heartbeats_fired: int = 0  # of those, the alerts that opened
    discovery_calls: int = 0  # ListMetrics calls for fleet rules (cached between ticks)
    series_over_limit: dict[str, int] = {}  # fleet rule → series found beyond its max_series, not evaluated
    shards: int = 0  # the tick was split into this many shards for the workers (0: evaluated in one)
    shards_reported: int = 0  # of those, how many have saved their summary (merged into this one)
    shard: int | None = None  # this is the summary of one shard
    duration_ms: int = 0  # merged: the slowest shard (the tick's critical path after the dispatch)
    compute_ms: int = 0  # merged: every invocation's time summed (what Lambda bills)

    def merged(self, shards: list[EvaluationSummary]) -> EvaluationSummary:
        """The dispatcher's summary with its shards' counts added (same tick only)."""
        total = self.model_copy(deep=True)
        for part in (s for s in shards if s.tick == self.tick):
            for name in _SUMMED:
                setattr(total, name, getattr(total, name) + getattr(part, name))
            total.series_over_limit.update(part.series_over_limit)
            total.duration_ms = max(total.duration_ms, part.duration_ms)
            total.shards_reported += 1
        return total


_SUMMED = (
    "rules_evaluated",
    "series",
    "breaches",
    "alerts_fired",
    "alerts_resolved",
    "suppressed",
    "duplicates",
    "errors",
    "state_writes",
    "metric_queries",
    "get_metric_data_calls",
    "discovery_calls",
    "compute_ms",
)


class RuleNoise(Model):
    rule_id: str
    rule_name: str
    alerts: int


class SummaryBucket(Model):
    """Alerts that started in [start, start + bucket_seconds): counts, and their MTTA / MTTR."""

    start: UtcDatetime
    by_severity: dict[str, int]
    mtta_seconds: float | None
    mttr_seconds: float | None


class CostLine(Model):
    item: str
    quantity: int  # a month
    monthly_usd: float
    free_tier: str
    free_usd: float = 0.0  # what the free tier takes off, where it applies


class RuleCost(Model):
    rule_id: str
    evaluation_interval_seconds: int
    metrics_per_month: int
    monthly_usd: float  # its GetMetricData metrics, as if no other rule shared them
    at_five_minutes_usd: float  # the same at evaluation_interval_seconds = 300 (or its own, if longer)


class CostReport(Model):
    """What the rule set costs a month at list prices, beside native CloudWatch alarms."""

    prices_as_of: str
    region: str
    rules: int
    series: int
    lines: list[CostLine]
    total_usd: float
    after_free_tier_usd: float
    native_alarm_metrics: int
    native_alarms_usd: float
    costliest_rules: list[RuleCost]


class AlertSummary(Model):
    since: UtcDatetime
    total: int
    by_status: dict[str, int]
    by_severity: dict[str, int]
    by_category: dict[str, int]
    mtta_seconds: float | None
    mttr_seconds: float | None
    noisiest_rules: list[RuleNoise]
    suppressed: int
    bucket_seconds: int  # an hour up to two days, a day beyond
    timeline: list[SummaryBucket]
    cost: CostReport | None = None  # the deployed rule set's monthly cost (GET /summary sets it)


class Health(Model):
    status: str
    version: str
    last_run: EvaluationSummary | None
    evaluation_lag_seconds: int | None
    dead_letter_messages: dict[str, int]
