"""A backtest's plan: its ticks, series and GetMetricData reads, what they cost, and the limits
that refuse it before anything is read."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from alerting.cost import prices
from alerting.discovery import Binding, MetricDirectory
from alerting.errors import InvalidInput
from alerting.metrics import WindowRead, metric_key, window_reads
from alerting.models.common import epoch, floor_minute
from alerting.models.rules import Rule

MAX_RANGE = timedelta(days=455)  # CloudWatch keeps 1-hour data 455 days (15 months)
# (age of a window's start, resolution CloudWatch still holds it at)
RESOLUTIONS = ((timedelta(days=15), 60), (timedelta(days=63), 300), (MAX_RANGE, 3600))
MAX_CALLS = 200  # a request's GetMetricData budget: 200 calls, at most $1 (500 metrics each)
MAX_EVALUATIONS = 200_000  # one API request: ~5 s at 40k/s on a core, within API Gateway's 29 s at 512 MB


@dataclass(frozen=True)
class Resolution:
    """A stretch of the range read at one resolution (seconds); `exact` when it is the minute."""

    start: datetime
    end: datetime
    seconds: int

    @property
    def exact(self) -> bool:
        return self.seconds == 60


@dataclass(frozen=True)
class Limits:
    max_calls: int = MAX_CALLS
    max_evaluations: int | None = MAX_EVALUATIONS  # None: no limit (a workstation's run)


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Plan:
    rule: Rule
    start: datetime
    end: datetime
    now: datetime
    series: list[dict[str, str]]
    ticks: int  # evaluation ticks (due minutes) in the range
    reads: list[WindowRead]
    resolutions: list[Resolution]
    list_metrics_calls: int = 0

    @property
    def evaluations(self) -> int:
        return self.ticks * len(self.series)

    @property
    def calls(self) -> int:
        return len(self.reads)

    @property
    def exact(self) -> bool:
        return all(r.exact for r in self.resolutions)

    def snap(self, tick: int) -> tuple[int, int]:
        """The window a tick reads: (length, end epoch), at the resolution CloudWatch holds it."""
        end = tick - self.rule.evaluation_delay_seconds
        step = resolution(end - self.rule.window_seconds, epoch(self.now))
        return math.ceil(self.rule.window_seconds / step) * step, end // step * step


def resolution(window_start: int, now: int) -> int:
    """The finest period CloudWatch still holds for data starting at ``window_start`` (epochs)."""
    age = now - window_start
    return next((seconds for limit, seconds in RESOLUTIONS if age < limit.total_seconds()), RESOLUTIONS[-1][1])


def due_ticks(rule: Rule, start: datetime, end: datetime) -> range:
    """Epochs of the minutes in [start, end) on which the rule is evaluated (14 days of a 1-minute
    rule: 20,160)."""
    first, stop = epoch(floor_minute(start)), epoch(floor_minute(end))
    step = rule.evaluation_interval_seconds
    first += -first % step  # is_due: the minute since the epoch is a multiple of the interval
    return range(first, stop, step)


def check_range(start: datetime, end: datetime, now: datetime) -> None:
    if start >= end:
        raise InvalidInput("start", "must be before end")
    if end > now:
        raise InvalidInput("end", "must not be in the future (a backtest replays data that exists)")
    if now - start > MAX_RANGE:
        raise InvalidInput(
            "start",
            f"the range reaches back more than 15 months ({MAX_RANGE.days} days), the longest CloudWatch keeps data",
        )


def plan(
    rule: Rule,
    start: datetime,
    end: datetime,
    now: datetime,
    directory: MetricDirectory | None,
    limits: Limits | None = None,
) -> Plan:
    """The series, ticks and GetMetricData calls of one rule's backtest (refused at once when its
    evaluations alone pass ``limits``: no need to work out the reads of a range that long)."""
    check_range(start, end, now)
    series, listed = candidates(rule, directory)
    ticks = due_ticks(rule, start, end)
    if limits is not None:
        enforce(Budget([], len(ticks) * len(series)), limits)
    draft = Plan(rule, start, end, now, series, len(ticks), [], [], listed)
    windows = {draft.snap(t) for t in ticks}
    metrics = list(
        dict.fromkeys(metric_key(m.bound(s)) for s in series for c in rule.conditions for m in c.inputs.values())
    )
    reads = window_reads(metrics, windows) if metrics and windows else []
    return Plan(rule, start, end, now, series, len(ticks), reads, resolutions(ticks, draft), listed)


@dataclass(frozen=True)
class Budget:
    """What a backtest of one or two rules (an edit and the rule as saved) costs: the reads they
    share are made once."""

    reads: list[WindowRead]
    evaluations: int

    @classmethod
    def of(cls, plans: Sequence[Plan]) -> Budget:
        return cls(list(dict.fromkeys(r for p in plans for r in p.reads)), sum(p.evaluations for p in plans))

    @property
    def calls(self) -> int:
        return len(self.reads)

    @property
    def metrics_requested(self) -> int:
        return sum(len(read.metrics) for read in self.reads)

    @property
    def datapoints(self) -> int:
        return sum(read.datapoints for read in self.reads)

    @property
    def cost_usd(self) -> float:
        return float(self.metrics_requested * prices()["get_metric_data_per_metric"])


def enforce(budget: Budget, limits: Limits) -> None:
    """A backtest over a limit is refused before anything is read, naming the limit."""
    if budget.calls > limits.max_calls:
        raise InvalidInput(
            "end",
            f"the backtest needs {budget.calls} GetMetricData calls (${budget.cost_usd:.4f}); "
            f"the limit is {limits.max_calls} calls: shorten the range",
        )
    if limits.max_evaluations is not None and budget.evaluations > limits.max_evaluations:
        raise InvalidInput(
            "end",
            f"the backtest replays {budget.evaluations:,} evaluations (ticks x series); the limit of "
            f"one request is {limits.max_evaluations:,}: shorten the range, or run `make backtest` "
            "on your machine for a longer one",
        )


def candidates(rule: Rule, directory: MetricDirectory | None) -> tuple[list[dict[str, str]], int]:
    """A rule's series: its one, or every series of a fleet rule's wildcard metrics that reported
    in the last two weeks (at most `max_series`, as a tick evaluates); and the ListMetrics calls."""
    if not rule.wildcards:
        return [rule.series], 0
    if directory is None:
        raise InvalidInput("conditions", "a fleet rule's backtest needs ListMetrics")
    before = directory.calls
    found: set[Binding] = set()
    for condition in rule.conditions:
        for metric in condition.inputs.values():
            if metric.wildcards:
                found.update(directory.every_series(metric))
    if not found:
        raise InvalidInput("conditions", "no series reports these metrics (ListMetrics found none in two weeks)")
    return [rule.series_of(dict(b)) for b in sorted(found)[: rule.max_series]], directory.calls - before


def resolutions(ticks: Sequence[int], planned: Plan) -> list[Resolution]:
    """The range's stretches by the resolution its ticks read at, oldest first."""
    stretches: list[Resolution] = []
    for tick in ticks:
        seconds = resolution(
            tick - planned.rule.evaluation_delay_seconds - planned.rule.window_seconds, epoch(planned.now)
        )
        at = datetime.fromtimestamp(tick, UTC)
        if stretches and stretches[-1].seconds == seconds:
            stretches[-1] = Resolution(stretches[-1].start, at, seconds)
        else:
            stretches.append(Resolution(at, at, seconds))
    return stretches
