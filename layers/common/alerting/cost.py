"""Monthly cost of a rule set, next to the equivalent native CloudWatch alarms.

    python -m alerting.cost rules/        (make cost)

Prices (us-east-1, per the CloudWatch, Lambda and DynamoDB price lists): GetMetricData
$0.01 per 1,000 metrics requested; a standard alarm $0.10 per alarm metric-month (a
multi-condition rule is a metric-math alarm billed per metric; first 10 free); Lambda arm64
$0.0000133334 per GB-second and $0.20 per million requests; DynamoDB on demand $0.625 per
million write and $0.125 per million read request units.
"""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from alerting.models.rules import Rule

MINUTES_PER_MONTH = 43_200
GMD_PER_METRIC = 0.01 / 1000
ALARM_PER_METRIC = 0.10
FREE_ALARM_METRICS = 10
LAMBDA_GB_SECOND = 0.0000133334
LAMBDA_REQUEST = 0.20 / 1_000_000
DDB_WRITE = 0.625 / 1_000_000
DDB_READ = 0.125 / 1_000_000


@dataclass(frozen=True)
class Estimate:
    rules: int
    distinct_queries: int
    metrics_requested: int
    get_metric_data: float
    lambda_compute: float
    dynamodb: float
    native_alarm_metrics: int
    native_alarms: float

    @property
    def total(self) -> float:
        return self.get_metric_data + self.lambda_compute + self.dynamodb


def estimate(
    rules: Sequence[Rule], tick_seconds: float = 1.0, memory_gb: float = 0.5, rule_bytes: int = 1_500
) -> Estimate:
    """A query is requested on every tick where any rule that uses it is due."""
    intervals: dict[tuple[object, ...], set[int]] = defaultdict(set)
    for rule in rules:
        for metric in (m for condition in rule.conditions for m in condition.inputs.values()):
            key = (
                metric.namespace,
                metric.name,
                tuple(sorted(metric.dimensions.items())),
                metric.statistic,
                rule.window_seconds,
                rule.evaluation_delay_seconds,
            )
            intervals[key].add(rule.evaluation_interval_seconds // 60)
    per_day = sum(sum(1 for m in range(1440) if any(m % k == 0 for k in ks)) for ks in intervals.values())
    requested = per_day * 30
    # steady state: one query + one scan page per MB, a consistent read per 4 KB, one run-record write
    reads_per_tick = math.ceil(len(rules) * rule_bytes / 4096) * 1.5 + 2
    dynamodb = MINUTES_PER_MONTH * (reads_per_tick * DDB_READ + DDB_WRITE)
    lambda_compute = MINUTES_PER_MONTH * (tick_seconds * memory_gb * LAMBDA_GB_SECOND + LAMBDA_REQUEST)
    alarm_metrics = sum(len(r.conditions) for r in rules)
    return Estimate(
        rules=len(rules),
        distinct_queries=len(intervals),
        metrics_requested=requested,
        get_metric_data=requested * GMD_PER_METRIC,
        lambda_compute=lambda_compute,
        dynamodb=dynamodb,
        native_alarm_metrics=alarm_metrics,
        native_alarms=max(0, alarm_metrics - FREE_ALARM_METRICS) * ALARM_PER_METRIC,
    )


def report(result: Estimate) -> str:
    return "\n".join(
        [
            f"{result.rules} rules, {result.distinct_queries} distinct metric queries",
            f"  GetMetricData    {result.metrics_requested:>12,} metrics/month  ${result.get_metric_data:>9.2f}",
            f"  Lambda (evaluator, one tick a minute)                ${result.lambda_compute:>9.2f}",
            f"  DynamoDB (steady state)                              ${result.dynamodb:>9.2f}",
            f"  this system, total                                   ${result.total:>9.2f} / month",
            f"  native CloudWatch alarms ({result.native_alarm_metrics} alarm metrics)             "
            f"${result.native_alarms:>9.2f} / month",
            "  (polling is cheaper per rule than an alarm when the rule is evaluated every 5 minutes or less often;"
            " identical queries are shared between rules)",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    from alerting.rules_as_code import load_folder

    folder = Path((argv or sys.argv[1:] or ["rules"])[0])
    rules, problems = load_folder(folder)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(report(estimate(rules)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
