"""What the evaluator asks CloudWatch for: one query per distinct metric, batched.

Every rule's condition is a `MetricQuery`: (metric, statistic, window, window end). Identical
queries from different rules are fetched once. Queries that end at the same time go out
together, ≤ 500 per call, over a shared range whose start is aligned so that each query's last
bucket is exactly its own trailing window (the range is the least common multiple of the
windows in the batch, or one range per window when that multiple would hold more than 60
buckets). With a common window end and window that is ⌈distinct queries / 500⌉ calls a tick.

A backtest reads many ticks' windows at once (`window_reads`): one query per metric and window
phase covers every tick of a range, up to 100,800 datapoints a call, so 14 days of 1-minute
ticks of a 5-minute window are 5 queries of 4,032 buckets.

The calls themselves (GetMetricData, its pages, retries and errors) are the adapter's:
``alerting.repositories.cloudwatch``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from alerting.evaluation import Observation
from alerting.expressions import evaluate, parse
from alerting.models.conditions import Condition, MetricSpec
from alerting.models.rules import Rule

MAX_QUERIES_PER_CALL = 500
MAX_BUCKETS = 60  # per query in a shared range: 500 x 60 points stay within one 100,800-point page


@dataclass(frozen=True)
class MetricQuery:
    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    statistic: str
    window_seconds: int
    end: datetime

    @classmethod
    def for_metric(cls, metric: MetricSpec, window_seconds: int, end: datetime) -> MetricQuery:
        return cls(
            metric.namespace,
            metric.name,
            tuple(sorted(metric.dimensions.items())),
            metric.statistic,
            window_seconds,
            end,
        )


def condition_queries(
    rule: Rule, tick: datetime, series: Mapping[str, str] | None = None
) -> list[dict[str, MetricQuery]]:
    """Per condition, one query per metric it reads: the statistic over the window that ends
    `delay` before the tick (for a fleet rule, of one ``series``: its wildcards bound)."""
    end = tick - timedelta(seconds=rule.evaluation_delay_seconds)
    return [
        {key: MetricQuery.for_metric(m.bound(series or {}), rule.window_seconds, end) for key, m in c.inputs.items()}
        for c in rule.conditions
    ]


def queries_for(rule: Rule, tick: datetime, series: Mapping[str, str] | None = None) -> list[MetricQuery]:
    """Every query the rule (or one series of a fleet rule) needs this tick."""
    return [q for per_condition in condition_queries(rule, tick, series) for q in per_condition.values()]


def observe(
    rule: Rule,
    fetched: Mapping[MetricQuery, Observation],
    tick: datetime,
    series: Mapping[str, str] | None = None,
) -> list[Observation]:
    """Each condition's observation from the fetched values: its metric's, or its expression
    over its metrics' (missing when an operand is, or on a division by zero); a failed query
    fails the condition."""
    return [
        condition_observation(condition, {key: fetched[q] for key, q in queries.items()})
        for condition, queries in zip(rule.conditions, condition_queries(rule, tick, series), strict=True)
    ]


def condition_observation(condition: Condition, seen: Mapping[str, Observation]) -> Observation:
    """One condition's observation from its inputs' (by metric id): the metric's own, or the
    expression over them; a failed input fails the condition. Ticks and backtests share it."""
    failed = next((o.error for o in seen.values() if o.error), None)
    if failed is not None:
        return Observation(None, error=failed)
    if condition.expression is None:
        return seen["value"]
    return Observation(evaluate(parse(condition.expression), {key: o.value for key, o in seen.items()}))


def batches(queries: Iterable[MetricQuery]) -> Iterator[tuple[datetime, datetime, list[MetricQuery]]]:
    """Group distinct queries into calls: (StartTime, EndTime, ≤500 queries)."""
    by_end: dict[datetime, list[MetricQuery]] = defaultdict(list)
    for query in dict.fromkeys(queries):
        by_end[query.end].append(query)
    for end, group in sorted(by_end.items()):
        for windows, members in _range_groups(group):
            span = math.lcm(*windows)
            for i in range(0, len(members), MAX_QUERIES_PER_CALL):
                yield end - timedelta(seconds=span), end, members[i : i + MAX_QUERIES_PER_CALL]


def _range_groups(group: list[MetricQuery]) -> Iterator[tuple[list[int], list[MetricQuery]]]:
    """One shared range for all windows when it stays short (≤ 60 buckets of the smallest window);
    else one range per window."""
    windows = sorted({q.window_seconds for q in group})
    if math.lcm(*windows) // windows[0] <= MAX_BUCKETS:
        yield windows, group
        return
    for window in windows:
        yield [window], [q for q in group if q.window_seconds == window]


MAX_DATAPOINTS_PER_CALL = 100_800  # one GetMetricData page; more come back with NextToken, in another call
MetricKey = tuple[str, str, tuple[tuple[str, str], ...], str]  # namespace, name, dimensions, statistic
WindowValues = dict[tuple[MetricKey, int, int], float]  # (metric, window seconds, window end epoch) → value


def metric_key(metric: MetricSpec) -> MetricKey:
    return (metric.namespace, metric.name, tuple(sorted(metric.dimensions.items())), metric.statistic)


@dataclass(frozen=True)
class WindowRead:
    """One GetMetricData call of a backtest: each metric's statistic per `period` bucket of
    [start, end) (buckets are aligned to the start, as the tick's queries rely on)."""

    start: datetime
    end: datetime
    period: int
    metrics: tuple[MetricKey, ...]

    @property
    def buckets(self) -> int:
        return int((self.end - self.start).total_seconds()) // self.period

    @property
    def datapoints(self) -> int:
        return self.buckets * len(self.metrics)


def window_reads(metrics: Sequence[MetricKey], windows: Iterable[tuple[int, int]]) -> list[WindowRead]:
    """The calls that read every metric's statistic over each window, given as (length, end
    epoch). Windows of one length whose ends share a phase (end modulo the length) are buckets
    of one range; a range is cut at 100,800 buckets, and its metrics are packed at most 500 and
    at most 100,800 datapoints a call, so no call needs a second page."""
    phases: dict[tuple[int, int], set[int]] = defaultdict(set)
    for length, end in windows:
        phases[(length, end % length)].add(end)
    reads: list[WindowRead] = []
    for (length, _), ends in sorted(phases.items()):
        for first, last in _ranges(sorted(ends), length):
            start, stop = _at(first - length), _at(last)
            buckets = (last - first) // length + 1
            per_call = max(1, min(MAX_QUERIES_PER_CALL, MAX_DATAPOINTS_PER_CALL // buckets))
            reads += [
                WindowRead(start, stop, length, tuple(metrics[i : i + per_call]))
                for i in range(0, len(metrics), per_call)
            ]
    return reads


def _ranges(ends: list[int], length: int) -> Iterator[tuple[int, int]]:
    """Sorted window ends of one phase as (first, last) runs of at most 100,800 buckets."""
    first = ends[0]
    previous = first
    for end in ends[1:]:
        if (end - first) // length + 1 > MAX_DATAPOINTS_PER_CALL:
            yield first, previous
            first = end
        previous = end
    yield first, previous


def _at(epoch_seconds: int) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, UTC)
