"""Backtests: what a rule would have done over a past range, replayed through the evaluator's steps.

Plan, read, replay, report:

1. **Plan** (`plan`): the ticks of [start, end], the series (a fleet rule's: every series ListMetrics
   knows from the last two weeks), and the GetMetricData calls that read every tick's window:
   one query per metric and window phase covers the whole range, 100,800 datapoints a call
   (`metrics.window_reads`), so 14 days of 1-minute ticks of a 5-minute window are 5 queries of
   4,032 buckets. Calls and their price are known before anything is read; a range over 15
   months (CloudWatch keeps no longer) or a plan over the call budget is refused, naming the limit.
2. **Read** (`CloudWatchMetrics.read_windows`): CloudWatch keeps 1-minute data 15 days, 5-minute
   data 63 days and 1-hour data 15 months. A tick whose window starts further back than 15 days
   reads the window of that resolution ending at or before its own (`resolution`), so older
   ticks are approximate; the plan says which stretches are (`exact`).
3. **Replay** (`ticks.RuleReplay`): every minute, as the evaluator: retirement, discovery (a fleet
   series counts as listed while one of its windows in the three hours before the tick had
   data), `evaluate_series`, the lifecycle's transitions, the sweep. The state starts empty at
   `start`, as for a rule created then.
4. **Report**: the alerts (series, start, end or null, peak), time firing (an alert open at the
   end counts to the end), flapping, which
   transitions silences, mute windows and flapping would have kept quiet (inhibition needs other
   rules' alerts and is not replayed), and for an edited rule what the change adds and removes
   against the rule as saved. Deterministic: the same rule, range and data give the same report.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from alerting.cost import metrics_per_month, prices
from alerting.discovery import Binding, MetricDirectory
from alerting.errors import InvalidInput
from alerting.evaluation import Observation
from alerting.metrics import (
    MetricKey,
    WindowRead,
    WindowValues,
    condition_observation,
    metric_key,
    window_reads,
)
from alerting.models.alerts import Alert, Transition
from alerting.models.common import AlertEvent, epoch, floor_minute, iso
from alerting.models.conditions import MetricSpec
from alerting.models.mute_windows import MuteWindow
from alerting.models.policies import EscalationPolicySpec
from alerting.models.rules import Rule
from alerting.models.silences import Silence, silencing
from alerting.ticks import MINUTE, Change, RuleReplay

MAX_RANGE = timedelta(days=455)  # CloudWatch keeps 1-hour data 455 days (15 months)
# (age of a window's start, resolution CloudWatch still holds it at)
RESOLUTIONS = ((timedelta(days=15), 60), (timedelta(days=63), 300), (MAX_RANGE, 3600))
RECENTLY_ACTIVE = timedelta(hours=3)  # ListMetrics' RecentlyActive, as discovery lists a fleet
MAX_CALLS = 200  # a request's GetMetricData budget: 200 calls, at most $1 (500 metrics each)
MAX_EVALUATIONS = 200_000  # one API request: ~5 s at 40k/s on a core, within API Gateway's 29 s at 512 MB
NOTIFICATION_ITEMS = 200  # the report lists at most this many notifications (the counts are exact)


class WindowReader(Protocol):
    calls: int

    def read_windows(
        self, reads: Sequence[WindowRead], progress: Callable[[int, int], None] | None = None
    ) -> WindowValues: ...


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


# -- the replay's metric source -----------------------------------------------------------------

MISSING = Observation(None)


@dataclass
class WindowObserver:
    """Each series' observations at a tick, from the windows read in advance (a plain lookup:
    the tick's queries are what `metrics.queries_for` would ask, answered from ``values``)."""

    planned: Plan
    values: WindowValues
    _inputs: dict[str, list[dict[str, MetricKey]]] = field(default_factory=dict)

    def __call__(self, rule: Rule, tick: datetime, series: list[dict[str, str]]) -> list[list[Observation]]:
        length, end = self.planned.snap(epoch(tick))
        observed = []
        for one in series:
            inputs = self._keys(rule, one)
            observed.append(
                [
                    condition_observation(c, {key: self._observe(m, length, end) for key, m in per.items()})
                    for c, per in zip(rule.conditions, inputs, strict=True)
                ]
            )
        return observed

    def _keys(self, rule: Rule, series: dict[str, str]) -> list[dict[str, MetricKey]]:
        fingerprint = rule.fingerprint_of(series)
        if fingerprint not in self._inputs:
            self._inputs[fingerprint] = [
                {key: metric_key(m.bound(series)) for key, m in c.inputs.items()} for c in rule.conditions
            ]
        return self._inputs[fingerprint]

    def _observe(self, metric: MetricKey, length: int, end: int) -> Observation:
        value = self.values.get((metric, length, end))
        return MISSING if value is None else Observation(value)


class HistoricListing:
    """ListMetrics as of a past tick (``now``, set by the replay): a metric counts as recently
    active while one of its windows ending in the three hours before then had data."""

    def __init__(self, values: WindowValues) -> None:
        self.now: datetime | None = None
        self.calls = 0
        ends: dict[tuple[str, str, tuple[tuple[str, str], ...]], list[int]] = defaultdict(list)
        for metric, _, end in values:
            ends[metric[:3]].append(end)
        self._ends = {key: sorted(found) for key, found in ends.items()}

    def dimensions(self, metric: MetricSpec, *, recently_active: bool) -> list[dict[str, str]]:
        """A `MetricListing` (every listing is as of the three hours before ``now``)."""
        assert self.now is not None
        self.calls += 1
        high = epoch(self.now)
        low = high - int(RECENTLY_ACTIVE.total_seconds())
        found = []
        for (namespace, name, dimensions), ends in sorted(self._ends.items()):
            values = dict(dimensions)
            if namespace != metric.namespace or name != metric.name:
                continue
            if not all(k in values and (k in metric.wildcards or values[k] == v) for k, v in metric.dimensions.items()):
                continue
            after = bisect.bisect_right(ends, low)
            if after < len(ends) and ends[after] <= high:
                found.append(values)
        return found


# -- running ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quieting:
    """What would have kept a transition quiet in the notifier (inhibition is not replayed)."""

    silences: Sequence[Silence] = ()
    mute_windows: Sequence[MuteWindow] = ()

    def reason(self, alert: Alert, transition: Transition) -> str | None:
        """Silence → mute → flap, as the notifier's stages judge them at the transition's time."""
        silence = silencing(list(self.silences), alert, transition.at)
        if silence is not None:
            return f"silenced by {silence.silence_id}"
        window = next((w for w in self.mute_windows if w.covers(alert, transition.at)), None)
        if window is not None:
            return f"muted by {window.mute_window_id}"
        if alert.flapping and transition.event is not AlertEvent.flapping:
            return "flapping"
        return None


@dataclass(frozen=True)
class BacktestAlert:
    alert_id: str
    series: dict[str, str]
    kind: str
    severity: str  # the highest it reached
    started_at: datetime
    resolved_at: datetime | None
    peak: float | None
    firing_seconds: int
    flapping: bool


@dataclass(frozen=True)
class Notification:
    alert_id: str
    series: dict[str, str]
    event: str
    at: datetime
    suppressed_by: str | None


@dataclass(frozen=True)
class Outcome:
    """One rule's replay: its alerts and what would have been announced."""

    plan: Plan
    alerts: list[BacktestAlert]
    notifications: list[Notification]
    transitions: dict[str, int]
    evaluations: int

    @property
    def firing_seconds(self) -> int:
        return sum(a.firing_seconds for a in self.alerts)

    @property
    def flaps(self) -> int:
        return self.transitions.get(AlertEvent.flapping.value, 0)

    @property
    def sent(self) -> int:
        return sum(1 for n in self.notifications if n.suppressed_by is None)

    @property
    def suppressed(self) -> dict[str, int]:
        return dict(Counter(n.suppressed_by for n in self.notifications if n.suppressed_by is not None))

    def monthly_usd(self) -> float:
        """The rule's GetMetricData a month in production, at its series."""
        own = metrics_per_month([self.plan.rule], {self.plan.rule.rule_id: len(self.plan.series)})[1]
        return float(own.get(self.plan.rule.rule_id, 0) * prices()["get_metric_data_per_metric"])


def replay(
    planned: Plan,
    values: WindowValues,
    *,
    policy: EscalationPolicySpec | None = None,
    quieting: Quieting = Quieting(),
    progress: Callable[[datetime], None] | None = None,
) -> Outcome:
    """Every minute of the plan's range through the evaluator's steps, over the windows read."""
    listing = HistoricListing(values)
    runner = RuleReplay(
        planned.rule,
        WindowObserver(planned, values),
        directory=MetricDirectory(listing) if planned.rule.wildcards else None,
        policy=policy,
        silences=list(quieting.silences),
        clock=lambda tick: setattr(listing, "now", tick),
    )
    runner.run(planned.start, floor_minute(planned.end) - MINUTE, progress)
    return report(planned, runner, quieting)


def report(planned: Plan, runner: RuleReplay, quieting: Quieting) -> Outcome:
    severities: dict[str, list[str]] = defaultdict(list)
    flapped: set[str] = set()
    for change in runner.changes:
        severities[change.alert.alert_id].append(change.alert.severity.value)
        if change.alert.flapping:
            flapped.add(change.alert.alert_id)
    alerts = [
        _alert(a, planned.end, runner.peaks.get(a.alert_id), severities[a.alert_id], a.alert_id in flapped)
        for a in runner.alerts.values()
    ]
    notifications = [_notification(c, quieting) for c in runner.changes]
    return Outcome(
        plan=planned,
        alerts=sorted(alerts, key=lambda a: (a.started_at, sorted(a.series.items()), a.alert_id)),
        notifications=sorted(notifications, key=lambda n: (n.at, n.alert_id)),
        transitions=dict(Counter(c.transition.event.value for c in runner.changes)),
        evaluations=runner.evaluations,
    )


_RANK = {"critical": 5, "high": 4, "medium": 3, "low": 2, "info": 1}


def _alert(alert: Alert, end: datetime, peak: float | None, severities: list[str], flapped: bool) -> BacktestAlert:
    resolved = alert.resolved_at
    until = resolved or floor_minute(end)
    return BacktestAlert(
        alert_id=alert.alert_id,
        series=alert.series,
        kind=alert.kind.value,
        severity=max(severities or [alert.severity.value], key=_RANK.__getitem__),
        started_at=alert.started_at,
        resolved_at=resolved,
        peak=peak,
        firing_seconds=int((until - alert.started_at).total_seconds()),
        flapping=flapped,
    )


def _notification(change: Change, quieting: Quieting) -> Notification:
    return Notification(
        alert_id=change.alert.alert_id,
        series=change.alert.series,
        event=change.transition.event.value,
        at=change.transition.at,
        suppressed_by=quieting.reason(change.alert, change.transition),
    )


# -- comparing an edited rule with the rule as saved --------------------------------------------

Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class SeriesSpan:
    series: dict[str, str]
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Comparison:
    """What an edit adds and removes: alerts with no overlapping alert of the same series on
    the other side, and the stretches of time firing on one side only."""

    added: list[BacktestAlert]
    removed: list[BacktestAlert]
    added_spans: list[SeriesSpan]
    removed_spans: list[SeriesSpan]


def compare(saved: Outcome, edited: Outcome) -> Comparison:
    end = floor_minute(edited.plan.end)
    before, after = _spans(saved.alerts, end), _spans(edited.alerts, end)
    return Comparison(
        added=[a for a in edited.alerts if not _overlaps(a, before, end)],
        removed=[a for a in saved.alerts if not _overlaps(a, after, end)],
        added_spans=_minus(after, before),
        removed_spans=_minus(before, after),
    )


def _key(series: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(series.items()))


def _spans(alerts: Sequence[BacktestAlert], end: datetime) -> dict[tuple[tuple[str, str], ...], list[Span]]:
    """Each series' threshold alerts as [start, end) spans, merged, in order."""
    spans: dict[tuple[tuple[str, str], ...], list[Span]] = defaultdict(list)
    for alert in sorted(alerts, key=lambda a: a.started_at):
        if alert.kind != "threshold":
            continue
        span = (alert.started_at, alert.resolved_at or end)
        merged = spans[_key(alert.series)]
        if merged and span[0] <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], span[1]))
        else:
            merged.append(span)
    return spans


def _overlaps(alert: BacktestAlert, spans: Mapping[tuple[tuple[str, str], ...], list[Span]], end: datetime) -> bool:
    until = alert.resolved_at or end
    return any(start < until and alert.started_at < stop for start, stop in spans.get(_key(alert.series), []))


def _minus(
    ours: Mapping[tuple[tuple[str, str], ...], list[Span]], theirs: Mapping[tuple[tuple[str, str], ...], list[Span]]
) -> list[SeriesSpan]:
    """The parts of our spans that none of theirs covers, per series."""
    out: list[SeriesSpan] = []
    for key, spans in sorted(ours.items()):
        for start, end in spans:
            cursor = start
            for other_start, other_end in theirs.get(key, []):
                if other_end <= cursor or other_start >= end:
                    continue
                if other_start > cursor:
                    out.append(SeriesSpan(dict(key), cursor, other_start))
                cursor = max(cursor, other_end)
            if cursor < end:
                out.append(SeriesSpan(dict(key), cursor, end))
    return out


# -- one backtest, as the API and `make backtest` run it ------------------------------------------


@dataclass(frozen=True)
class Backtest:
    """A backtest's plan and, unless only priced, its outcome; with the rule as saved, the comparison."""

    plan: Plan
    budget: Budget
    limits: Limits
    outcome: Outcome | None = None
    saved: Outcome | None = None
    comparison: Comparison | None = None


def run(
    rule: Rule,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    metrics: WindowReader,
    directory: MetricDirectory | None,
    saved: Rule | None = None,
    quieting: Quieting = Quieting(),
    policy: EscalationPolicySpec | None = None,
    limits: Limits = Limits(),
    plan_only: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Backtest:
    """Plan ``rule`` (and ``saved``, the rule it edits), refuse it over a limit, read the windows
    once, replay each and compare. ``progress`` hears about reads and every tenth of the replay."""
    planned = plan(rule, start, end, now, directory, limits)
    previous = plan(saved, start, end, now, directory, limits) if saved is not None else None
    budget = Budget.of([planned, *([previous] if previous else [])])
    enforce(budget, limits)
    if plan_only:
        return Backtest(planned, budget, limits)
    say = progress or (lambda _: None)
    values = metrics.read_windows(budget.reads, lambda done, total: say(f"read {done} of {total} GetMetricData calls"))
    outcome = replay(planned, values, policy=policy, quieting=quieting, progress=_every_tenth(planned, say))
    if previous is None:
        return Backtest(planned, budget, limits, outcome)
    before = replay(previous, values, policy=policy, quieting=quieting)
    return Backtest(planned, budget, limits, outcome, before, compare(before, outcome))


def _every_tenth(planned: Plan, say: Callable[[str], None]) -> Callable[[datetime], None]:
    first = epoch(floor_minute(planned.start))
    total = epoch(floor_minute(planned.end)) - first
    step = max(60, total // 10 // 60 * 60)

    def tick(at: datetime) -> None:
        done = epoch(at) + 60 - first  # the minute at `at` is replayed
        if done % step == 0 or done == total:
            say(f"replayed {round(100 * done / max(1, total))}% (to {iso(at + MINUTE)})")

    return tick


# -- the report as JSON (the API's `BacktestResult`, `make backtest`'s input) ----------------------


def as_json(backtest: Backtest) -> dict[str, Any]:
    planned, outcome, budget = backtest.plan, backtest.outcome, backtest.budget
    rule = planned.rule
    body: dict[str, Any] = {
        "rule_id": rule.rule_id,
        "start": iso(planned.start),
        "end": iso(planned.end),
        "ran": outcome is not None,
        "plan": {
            "ticks": planned.ticks,
            "series": len(planned.series),
            "evaluations": budget.evaluations,
            "get_metric_data_calls": budget.calls,
            "metrics_requested": budget.metrics_requested,
            "datapoints": budget.datapoints,
            "cost_usd": round(budget.cost_usd, 6),
            "list_metrics_calls": planned.list_metrics_calls,
            "exact": planned.exact,
            "resolutions": [
                {"start": iso(r.start), "end": iso(r.end), "seconds": r.seconds} for r in planned.resolutions
            ],
            "max_calls": backtest.limits.max_calls,
            "max_evaluations": backtest.limits.max_evaluations,
        },
        "series": planned.series,
        "thresholds": [
            {
                "label": c.label(),
                "operator": c.operator.value,
                "threshold": c.threshold,
                "warning_threshold": c.warning_threshold,
                "resolve_threshold": c.resolve_threshold,
            }
            for c in rule.conditions
        ],
        "alerts": [],
        "firing_seconds": 0,
        "flaps": 0,
        "transitions": {},
        "notifications": {"sent": 0, "suppressed": {}, "items": [], "truncated": False},
        "monthly_cost_usd": 0.0,
        "comparison": None,
    }
    if outcome is None:
        return body
    body |= _outcome_json(outcome)
    if backtest.saved is not None and backtest.comparison is not None:
        body["comparison"] = _comparison_json(backtest.saved, outcome, backtest.comparison)
    return body


def _outcome_json(outcome: Outcome) -> dict[str, Any]:
    items = outcome.notifications[:NOTIFICATION_ITEMS]
    return {
        "alerts": [_alert_json(a) for a in outcome.alerts],
        "firing_seconds": outcome.firing_seconds,
        "flaps": outcome.flaps,
        "transitions": outcome.transitions,
        "notifications": {
            "sent": outcome.sent,
            "suppressed": outcome.suppressed,
            "items": [
                {
                    "alert_id": n.alert_id,
                    "series": n.series,
                    "event": n.event,
                    "at": iso(n.at),
                    "suppressed_by": n.suppressed_by,
                }
                for n in items
            ],
            "truncated": len(outcome.notifications) > len(items),
        },
        "monthly_cost_usd": round(outcome.monthly_usd(), 4),
    }


def _alert_json(alert: BacktestAlert) -> dict[str, Any]:
    return {
        "alert_id": alert.alert_id,
        "series": alert.series,
        "kind": alert.kind,
        "severity": alert.severity,
        "started_at": iso(alert.started_at),
        "resolved_at": iso(alert.resolved_at) if alert.resolved_at else None,
        "peak": alert.peak,
        "firing_seconds": alert.firing_seconds,
        "flapping": alert.flapping,
    }


def _comparison_json(saved: Outcome, edited: Outcome, comparison: Comparison) -> dict[str, Any]:
    def spans(items: list[SeriesSpan]) -> list[dict[str, Any]]:
        return [{"series": s.series, "start": iso(s.start), "end": iso(s.end)} for s in items]

    return {
        "saved_version": saved.plan.rule.version,
        "alerts_before": len(saved.alerts),
        "alerts_after": len(edited.alerts),
        "firing_seconds_before": saved.firing_seconds,
        "firing_seconds_after": edited.firing_seconds,
        "notifications_before": saved.sent,
        "notifications_after": edited.sent,
        "added": [_alert_json(a) for a in comparison.added],
        "removed": [_alert_json(a) for a in comparison.removed],
        "added_spans": spans(comparison.added_spans),
        "removed_spans": spans(comparison.removed_spans),
    }
