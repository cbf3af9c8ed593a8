"""What the API reports about the system: alert summary and health, as pure functions of `now`.

The callers read the alerts, the evaluator's last run and the dead-letter queues; everything
that is decided about them (means, rankings, "degraded") happens here and is table-tested.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import fmean

from alerting.models.alerts import Alert
from alerting.models.common import AlertStatus, Category, Severity
from alerting.models.reports import AlertSummary, EvaluationSummary, RuleNoise, SummaryBucket

NOISIEST = 5
MAX_LAG_SECONDS = 300  # the evaluator ticks every minute; five missed ticks is an outage


def summarize(alerts: Iterable[Alert], since: datetime, now: datetime, *, suppressed: int = 0) -> AlertSummary:
    """Counts, MTTA, MTTR and the noisiest rules of the alerts that started in [since, now].

    MTTA averages started → acknowledged over acknowledged alerts, MTTR started → resolved over
    resolved ones (open alerts do not count yet). Every status, severity and category appears
    in the counts, zero or not, so the shape never changes. `suppressed` is passed through.
    The timeline gives the same per hour (per day beyond two days), every bucket present.
    """
    bucket = timedelta(hours=1) if now - since <= timedelta(days=2) else timedelta(days=1)
    window = [a for a in alerts if since <= a.started_at <= now]
    mtta, mttr = _means(window)
    per_rule = Counter(a.rule_id for a in window)
    # The newest alert names the rule, so a renamed rule shows its current name.
    names = {a.rule_id: a.rule_name for a in sorted(window, key=lambda a: a.started_at)}
    noisiest = sorted(per_rule.items(), key=lambda item: (-item[1], item[0]))[:NOISIEST]
    return AlertSummary(
        since=since,
        total=len(window),
        by_status=_count(window, [s.value for s in AlertStatus], lambda a: a.status.value),
        by_severity=_count(window, [s.value for s in Severity], lambda a: a.severity.value),
        by_category=_count(window, [c.value for c in Category], lambda a: a.category.value),
        mtta_seconds=mtta,
        mttr_seconds=mttr,
        noisiest_rules=[RuleNoise(rule_id=r, rule_name=names[r], alerts=n) for r, n in noisiest],
        suppressed=suppressed,
        bucket_seconds=int(bucket.total_seconds()),
        timeline=_timeline(window, since, now, bucket),
    )


def _means(alerts: list[Alert]) -> tuple[float | None, float | None]:
    """MTTA over acknowledged alerts, MTTR over resolved ones (seconds, 0.1 s)."""
    acknowledged = [(a.acknowledged_at - a.started_at).total_seconds() for a in alerts if a.acknowledged_at]
    resolved = [(a.resolved_at - a.started_at).total_seconds() for a in alerts if a.resolved_at]
    return (
        round(fmean(acknowledged), 1) if acknowledged else None,
        round(fmean(resolved), 1) if resolved else None,
    )


def _timeline(alerts: list[Alert], since: datetime, now: datetime, bucket: timedelta) -> list[SummaryBucket]:
    """Buckets aligned to the hour (or UTC day) from the one holding `since` to the one holding `now`."""
    width = int(bucket.total_seconds())
    first = int(since.timestamp()) // width * width
    starts = range(first, int(now.timestamp()) + 1, width)
    members: dict[int, list[Alert]] = {start: [] for start in starts}
    for alert in alerts:
        members[int(alert.started_at.timestamp()) // width * width].append(alert)
    buckets = []
    for start, group in members.items():
        mtta, mttr = _means(group)
        by_severity = _count(group, [s.value for s in Severity], lambda a: a.severity.value)
        at = datetime.fromtimestamp(start, UTC)
        buckets.append(SummaryBucket(start=at, by_severity=by_severity, mtta_seconds=mtta, mttr_seconds=mttr))
    return buckets


def _count(alerts: list[Alert], keys: list[str], key_of: Callable[[Alert], str]) -> dict[str, int]:
    counts = Counter(key_of(a) for a in alerts)
    return {k: counts[k] for k in keys}


@dataclass(frozen=True)
class HealthCheck:
    status: str  # "ok" / "degraded"
    reasons: tuple[str, ...]
    lag_seconds: int | None


def assess_health(
    last_run: EvaluationSummary | None, dead_letters: Mapping[str, int | None], now: datetime
) -> HealthCheck:
    """Degraded when the evaluator has not run lately, its last run had errors, or a dead-letter
    queue holds messages (or could not be read: unknown is not healthy)."""
    reasons: list[str] = []
    lag: int | None = None
    if last_run is None:
        reasons.append("the evaluator has not run yet")
    else:
        lag = int((now - last_run.tick).total_seconds())
        if lag > MAX_LAG_SECONDS:
            reasons.append(f"the evaluator last ran {lag} s ago")
        if last_run.errors:
            reasons.append(f"the evaluator's last run had {last_run.errors} error(s)")
        if last_run.shards_reported < last_run.shards and lag > 90:
            missing = last_run.shards - last_run.shards_reported
            reasons.append(f"{missing} of the last tick's {last_run.shards} shards have not reported")
        for rule_id, excess in sorted(last_run.series_over_limit.items()):
            reasons.append(f"rule {rule_id} has {excess} series beyond its max_series (not evaluated)")
    for queue, depth in sorted(dead_letters.items()):
        if depth is None:
            reasons.append(f"the {queue} dead-letter queue could not be read")
        elif depth:
            reasons.append(f"the {queue} dead-letter queue holds {depth} message(s)")
    return HealthCheck("degraded" if reasons else "ok", tuple(reasons), lag)
