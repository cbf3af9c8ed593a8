"""Backtest benchmark (`make bench`): prints figures, asserts nothing.

1. 14 days of 1-minute ticks of one rule (20,160 evaluations): the replay's time (best of three,
   the reads excluded) and its GetMetricData calls, over a recorded CloudWatch.
2. The plan of a 14-day backtest of a 100-series fleet rule: GetMetricData calls, metrics
   requested, datapoints and cost, and the calls the reads make (counted at the recorded
   CloudWatch); a day of it replayed, for the evaluations per second at fleet scale.
"""

from __future__ import annotations

import gc
import math
import time
from datetime import UTC, datetime, timedelta

from alerting.backtest.planning import Budget, plan
from alerting.backtest.replay import replay
from alerting.discovery import MetricDirectory
from alerting.models.rules import Rule
from alerting.recorded import RecordedCloudWatch
from alerting.repositories.cloudwatch import CloudWatchListing, CloudWatchMetrics

NOW = datetime(2026, 12, 1, tzinfo=UTC)
DAYS = 14


def cpu_rule(dimensions: dict[str, str]) -> Rule:
    return Rule.model_validate(
        {
            "rule_id": "high-cpu-usage",
            "name": "High CPU Usage",
            "severity": "high",
            "conditions": [
                {
                    "metric": {"namespace": "App/Service", "name": "CPUUtilization", "dimensions": dimensions},
                    "operator": "gte",
                    "threshold": 85,
                    "resolve_threshold": 80,
                }
            ],
            "window_seconds": 300,
            "breaches_to_fire": 2,
        }
    )


def recorded(hosts: list[dict[str, str]], days: int) -> RecordedCloudWatch:
    """A datapoint a minute per host: a daily wave that crosses 85 % for a while each afternoon."""
    cloudwatch = RecordedCloudWatch(now=NOW)
    start = NOW - timedelta(days=days, minutes=10)
    for h, dimensions in enumerate(hosts):
        for minute in range(days * 1440 + 10):
            value = 60 + 30 * math.sin(2 * math.pi * (minute + 37 * h) / 1440) + (minute * 7919 + h) % 7
            cloudwatch.put("App/Service", "CPUUtilization", dimensions, start + timedelta(minutes=minute), value)
    return cloudwatch


def one_rule() -> tuple[int, float, int, int]:
    """(evaluations, best replay seconds, GetMetricData calls, alerts)."""
    cloudwatch = recorded([{"Service": "web"}], DAYS)
    rule = cpu_rule({"Service": "web"})
    planned = plan(rule, NOW - timedelta(days=DAYS), NOW, NOW, None)
    values = CloudWatchMetrics(cloudwatch).read_windows(planned.reads)
    best, outcome = float("inf"), None
    for _ in range(3):
        gc.collect()
        started = time.perf_counter()
        outcome = replay(planned, values)
        best = min(best, time.perf_counter() - started)
    assert outcome is not None
    return outcome.evaluations, best, cloudwatch.calls["get_metric_data"], len(outcome.alerts)


def fleet(series: int) -> dict[str, float]:
    hosts = [{"Host": f"i-{h:04d}"} for h in range(series)]
    cloudwatch = recorded(hosts, 1)  # ListMetrics needs them; the plan does not read the data
    rule = cpu_rule({"Host": "*"})
    planned = plan(rule, NOW - timedelta(days=DAYS), NOW, NOW, MetricDirectory(CloudWatchListing(cloudwatch)))
    budget = Budget.of([planned])
    reader = CloudWatchMetrics(cloudwatch)
    reader.read_windows(planned.reads)  # counted by the adapter, pages included
    day = plan(rule, NOW - timedelta(days=1), NOW, NOW, MetricDirectory(CloudWatchListing(cloudwatch)))
    values = CloudWatchMetrics(cloudwatch).read_windows(day.reads)
    started = time.perf_counter()
    outcome = replay(day, values)
    took = time.perf_counter() - started
    return {
        "series": len(planned.series),
        "evaluations": budget.evaluations,
        "calls": budget.calls,
        "calls made": reader.calls,
        "metrics requested": budget.metrics_requested,
        "datapoints": budget.datapoints,
        "cost": budget.cost_usd,
        "day evaluations/s": outcome.evaluations / took,
    }


def main() -> None:
    print("backtest: 14 days of 1-minute ticks of one rule (5-minute window, hysteresis, 2 consecutive)")
    evaluations, seconds, calls, alerts = one_rule()
    print(
        f"  evaluations {evaluations:,}, replayed in {seconds:.2f} s ({evaluations / seconds:,.0f}/s), "
        f"{calls} GetMetricData calls, {alerts} alerts"
    )
    figures = fleet(100)
    series, total = figures["series"], figures["evaluations"]
    print(f"backtest: 14 days of a fleet rule over {series:.0f} series ({total:,.0f} evaluations)")
    print(
        f"  GetMetricData calls {figures['calls']:.0f} planned, {figures['calls made']:.0f} made; "
        f"{figures['metrics requested']:,.0f} metrics requested, {figures['datapoints']:,.0f} datapoints, "
        f"${figures['cost']:.4f}"
    )
    print(f"  replay of one day of it: {figures['day evaluations/s']:,.0f} evaluations/s")


if __name__ == "__main__":
    main()
