"""Monthly cost of a rule set, next to the equivalent native CloudWatch alarms.

    python -m alerting.cost rules/        (make cost)
    GET /summary                          (the stored rules, their series, the last tick, deliveries)

Prices come from one dated file (``data/prices.json``: us-east-1 list prices and the sources).
What is billed: GetMetricData per metric requested (a query on every tick where a rule using it
is due; identical queries are shared; a fleet rule's query once per series), Lambda GB-seconds
and requests, DynamoDB on-demand request units, SNS publishes, SES e-mails and SMS. A rule's
``evaluation_interval_seconds`` is the lever: the costliest rules are listed with their cost
at a five-minute interval. Pure: (rules, series, last tick, deliveries, prices) → report.
"""

from __future__ import annotations

import json
import math
import sys
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from alerting.models.reports import CostLine, CostReport, EvaluationSummary, RuleCost
from alerting.models.rules import Rule
from alerting.sharding import weight

PRICES = Path(__file__).with_name("data") / "prices.json"
MINUTES_PER_MONTH = 43_200  # 30 days of ticks
MEMORY_GB = 0.5  # every function's MemorySize (512 MB)
RULE_BYTES = 1_500  # a stored rule, for the tick's reads
STATE_BYTES = 600
FIVE_MINUTES = 300


def series_of(rule: Rule, known: Mapping[str, int]) -> int:
    """A rule's series: one, or a fleet rule's known count (else its worst case, as a shard plans it)."""
    return known.get(rule.rule_id, weight(rule)) if rule.wildcards else 1


@cache
def prices() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(PRICES.read_text())
    return data


def metrics_per_month(rules: Sequence[Rule], series: Mapping[str, int]) -> tuple[int, dict[str, int]]:
    """(metrics requested a month, each rule's own metrics a month)."""
    due_minutes: dict[tuple[object, ...], set[int]] = defaultdict(set)
    weight: dict[tuple[object, ...], int] = {}
    own: dict[str, int] = {}
    for rule in rules:
        if not rule.enabled:
            continue
        count = series_of(rule, series)
        per_tick = 0
        for metric in (m for condition in rule.conditions for m in condition.inputs.values()):
            # a fleet rule's queries are its own (one per series); a plain query may be shared
            owner = rule.rule_id if rule.wildcards else ""
            key = (owner, metric.label(), rule.window_seconds, rule.evaluation_delay_seconds)
            due_minutes[key].add(rule.evaluation_interval_seconds // 60)
            weight[key] = count
            per_tick += count
        own[rule.rule_id] = per_tick * MINUTES_PER_MONTH * 60 // rule.evaluation_interval_seconds
    per_day = sum(
        weight[key] * sum(1 for m in range(1440) if any(m % k == 0 for k in ks)) for key, ks in due_minutes.items()
    )
    return per_day * 30, own


def estimate(
    rules: Sequence[Rule],
    *,
    series: Mapping[str, int] | None = None,
    last_tick: EvaluationSummary | None = None,
    deliveries: Mapping[str, int] | None = None,
    price: Mapping[str, Any] | None = None,
) -> CostReport:
    """`series`: a fleet rule's series (else its `max_series`); `last_tick`: the evaluator's
    measured duration and writes (else modelled); `deliveries`: a month's messages by channel
    type, the topic as ``topic`` (else none)."""
    p = price or prices()
    series, deliveries = series or {}, deliveries or {}
    enabled = [r for r in rules if r.enabled]
    requested, own = metrics_per_month(enabled, series)
    series_total = sum(series_of(r, series) for r in enabled)
    lines = _lines(_usage(len(rules), series_total, requested, last_tick, deliveries), deliveries, p)
    alarm_metrics = sum(len(r.conditions) * series_of(r, series) for r in enabled)
    total = sum(line.monthly_usd for line in lines)
    return CostReport(
        prices_as_of=p["as_of"],
        region=p["region"],
        rules=len(enabled),
        series=series_total,
        lines=lines,
        total_usd=round(total, 2),
        after_free_tier_usd=round(total - sum(line.free_usd for line in lines), 2),
        native_alarm_metrics=alarm_metrics,
        native_alarms_usd=round(max(0, alarm_metrics - p["free_alarm_metrics"]) * p["alarm_per_metric_month"], 2),
        costliest_rules=_costliest(enabled, own, p),
    )


@dataclass(frozen=True)
class _Usage:
    """A month of the system's work, in the units AWS bills it by."""

    metrics_requested: int
    gb_seconds: float
    invocations: int
    read_units: int
    write_units: int


def _usage(
    rules: int, series: int, requested: int, last_tick: EvaluationSummary | None, deliveries: Mapping[str, int]
) -> _Usage:
    """The evaluator's tick as ``last_tick`` measured it, or else as modelled; the notifier's per delivery."""
    calls_per_tick = math.ceil(requested / MINUTES_PER_MONTH / 500)  # GetMetricData calls, on average
    invocations_per_tick = 1
    if last_tick is not None and (last_tick.compute_ms or last_tick.duration_ms):
        tick_seconds = (last_tick.compute_ms or last_tick.duration_ms) / 1000  # every shard's time
        invocations_per_tick += last_tick.shards
        writes_per_tick = last_tick.state_writes * 2 + 1 + last_tick.shards  # a transaction bills twice
    else:  # modelled on bench/scale.py: round trips plus CPU per series
        tick_seconds = 0.2 + 0.25 * calls_per_tick + 0.0005 * series
        writes_per_tick = 1 + series // 100  # a steady tick changes about one series in a hundred
    delivered = sum(deliveries.values())
    reads_per_tick = math.ceil(rules * RULE_BYTES / 4096) + math.ceil(series * STATE_BYTES / 4096) + 2
    return _Usage(
        metrics_requested=requested,
        gb_seconds=MEMORY_GB * (MINUTES_PER_MONTH * tick_seconds + 0.2 * delivered),
        invocations=MINUTES_PER_MONTH * invocations_per_tick + delivered,
        read_units=reads_per_tick * MINUTES_PER_MONTH,
        write_units=writes_per_tick * MINUTES_PER_MONTH,
    )


def _lines(usage: _Usage, deliveries: Mapping[str, int], p: Mapping[str, Any]) -> list[CostLine]:
    """Each billed item at list price, with what its free tier takes off."""
    requested, gb_seconds, invocations = usage.metrics_requested, usage.gb_seconds, usage.invocations
    topic = deliveries.get("topic", 0) + deliveries.get("sns", 0)
    return [
        CostLine(
            item="GetMetricData metrics requested",
            quantity=requested,
            monthly_usd=requested * p["get_metric_data_per_metric"],
            free_tier="none: GetMetricData is outside CloudWatch's free API requests",
        ),
        CostLine(
            item="Lambda GB-seconds (evaluator every minute, notifier per delivery)",
            quantity=round(gb_seconds),
            monthly_usd=gb_seconds * p["lambda_arm_gb_second"] + invocations * p["lambda_per_request"],
            free_tier=f"{p['lambda_free_gb_seconds']:,} GB-s and {p['lambda_free_requests']:,} requests a month, "
            "per account",
            free_usd=min(gb_seconds, p["lambda_free_gb_seconds"]) * p["lambda_arm_gb_second"]
            + min(invocations, p["lambda_free_requests"]) * p["lambda_per_request"],
        ),
        CostLine(
            item="DynamoDB read request units (on demand)",
            quantity=usage.read_units,
            monthly_usd=usage.read_units * p["dynamodb_read_unit"],
            free_tier="none on demand (25 GB of storage is free)",
        ),
        CostLine(
            item="DynamoDB write request units (on demand)",
            quantity=usage.write_units,
            monthly_usd=usage.write_units * p["dynamodb_write_unit"],
            free_tier="none on demand",
        ),
        CostLine(
            item="SNS publishes (the topic and sns channels)",
            quantity=topic,
            monthly_usd=topic * p["sns_per_publish"],
            free_tier=f"{p['sns_free_publishes']:,} publishes a month",
            free_usd=min(topic, p["sns_free_publishes"]) * p["sns_per_publish"],
        ),
        CostLine(
            item="SES e-mails",
            quantity=deliveries.get("email", 0),
            monthly_usd=deliveries.get("email", 0) * p["ses_per_email"],
            free_tier="3,000 a month in an account's first year only",
        ),
        CostLine(
            item="SMS (US, before carrier fees)",
            quantity=deliveries.get("sms", 0),
            monthly_usd=deliveries.get("sms", 0) * p["sms_per_message_us"],
            free_tier="none",
        ),
    ]


def _costliest(enabled: Sequence[Rule], own: Mapping[str, int], p: Mapping[str, Any]) -> list[RuleCost]:
    """The five rules whose GetMetricData costs most, and what each would at a five-minute interval."""
    costliest = sorted(enabled, key=lambda r: (-own[r.rule_id], r.rule_id))[:5]
    return [
        RuleCost(
            rule_id=r.rule_id,
            evaluation_interval_seconds=r.evaluation_interval_seconds,
            metrics_per_month=own[r.rule_id],
            monthly_usd=round(own[r.rule_id] * p["get_metric_data_per_metric"], 2),
            at_five_minutes_usd=round(
                own[r.rule_id]
                * r.evaluation_interval_seconds
                / max(FIVE_MINUTES, r.evaluation_interval_seconds)
                * p["get_metric_data_per_metric"],
                2,
            ),
        )
        for r in costliest
    ]


def report(result: CostReport) -> str:
    rows = [
        f"{result.rules} rules, {result.series} series; list prices of {result.prices_as_of}, {result.region}",
        f"  {'':<66}{'a month':>12}{'$':>10}",
    ]
    rows += [f"  {line.item:<66}{line.quantity:>12,}{line.monthly_usd:>10.2f}" for line in result.lines]
    rows += [
        f"  {'this system, at list price':<78}{result.total_usd:>10.2f}",
        f"  {'this system, after the free tier':<78}{result.after_free_tier_usd:>10.2f}",
        f"  {f'native CloudWatch alarms ({result.native_alarm_metrics} alarm metrics)':<78}"
        f"{result.native_alarms_usd:>10.2f}",
        "",
        "Free tier (why small numbers can read $0.00):",
    ]
    rows += [f"  {line.item}: {line.free_tier}" for line in result.lines]
    rows += [
        "  CloudWatch alarms: the first 10 alarm metrics are free.",
        "",
        "The lever: a rule's evaluation_interval_seconds (GetMetricData is billed per metric and tick)",
        f"  {'rule':<32}{'interval':>10}{'metrics/month':>15}{'$/month':>9}{'at 5 min':>10}",
    ]
    rows += [
        f"  {r.rule_id:<32}{r.evaluation_interval_seconds:>9}s{r.metrics_per_month:>15,}"
        f"{r.monthly_usd:>9.2f}{r.at_five_minutes_usd:>10.2f}"
        for r in result.costliest_rules
    ]
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    from alerting.rule_files import load_folder

    folder = Path((argv or sys.argv[1:] or ["rules"])[0])
    rules, problems = load_folder(folder)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(report(estimate(rules)))
    print(
        "\n(from files alone: a fleet rule counts its max_series, the tick is modelled, deliveries are not"
        " counted; GET /summary prices the deployed rule set with its real series, ticks and deliveries)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
