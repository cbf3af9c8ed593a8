"""The backtest's promise: for any series, rule and settings, the alerts it replays are the alerts
the production evaluator gives when it runs the same ticks one by one.

One side is `evaluator.service.Evaluator` itself (its repositories over the counting DynamoDB
fake of bench/, its CloudWatch adapter and discovery over a recorded CloudWatch), ticked minute
by minute. The other is `alerting.backtest`: the plan's GetMetricData reads of the same
recorded CloudWatch, replayed. Fleet series report in the first window (the backtest lists a
series from its windows, production from its raw samples, and a replay shorter than the three
hours both look back sees them alike then).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerting.backtest.planning import plan
from alerting.backtest.replay import replay
from alerting.discovery import MetricDirectory
from alerting.kinds import RULE
from alerting.models.rules import Rule
from alerting.recorded import RecordedCloudWatch
from alerting.repositories.alerts import AlertRepository
from alerting.repositories.cloudwatch import CloudWatchListing, CloudWatchMetrics
from alerting.repositories.config import ConfigRepository, RunLog
from alerting.repositories.state import StateRepository
from bench.fake_dynamodb import FakeDynamoDB
from evaluator.service import Evaluator

T0 = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)  # minute divisible by 2, 3 and 5
HOSTS = ("h1", "h2", "h3")
STATISTICS = ("Average", "Maximum", "Minimum", "Sum", "SampleCount", "p90")


@st.composite
def conditions(draw: st.DrawFn, fleet: bool, math: bool) -> dict[str, Any]:
    operator = draw(st.sampled_from(["gt", "gte", "lt", "lte"]))
    threshold = draw(st.sampled_from([40.0, 50.0, 60.0]))
    upward = operator in ("gt", "gte")
    recovery = -1 if upward else 1  # resolve_threshold and warning_threshold lie on this side
    dimensions = {"Host": "*"} if fleet else {"Host": "h1"}
    statistic = draw(st.sampled_from(STATISTICS))
    condition: dict[str, Any] = {"operator": operator, "threshold": threshold}
    if math:
        condition |= {
            "expression": "a + b / 2",
            "metrics": {
                "a": {"namespace": "P", "name": "A", "dimensions": dimensions, "statistic": statistic},
                "b": {"namespace": "P", "name": "B", "dimensions": dimensions, "statistic": "Average"},
            },
        }
    else:
        condition["metric"] = {"namespace": "P", "name": "A", "dimensions": dimensions, "statistic": statistic}
    if draw(st.booleans()):
        condition["resolve_threshold"] = threshold + recovery * draw(st.sampled_from([0.0, 5.0, 15.0]))
    if draw(st.booleans()):
        condition["warning_threshold"] = threshold + recovery * draw(st.sampled_from([5.0, 20.0]))
    return condition


@st.composite
def rules(draw: st.DrawFn) -> Rule:
    fleet, math = draw(st.booleans()), draw(st.booleans())
    m = draw(st.integers(1, 3))
    return Rule.model_validate(
        {
            "rule_id": "prop",
            "name": "Property",
            "severity": draw(st.sampled_from(["critical", "high"])),
            "conditions": [draw(conditions(fleet, math))],
            "window_seconds": draw(st.sampled_from([60, 120, 300])),
            "evaluation_delay_seconds": draw(st.sampled_from([0, 60, 120])),
            "evaluation_interval_seconds": draw(st.sampled_from([60, 60, 120, 180])),
            "breaches_to_fire": m,
            "out_of": m + draw(st.integers(0, 2)),
            "resolve_after": draw(st.integers(1, 2)),
            "treat_missing_data": draw(st.sampled_from(["ignore", "breaching", "not_breaching", "alert"])),
            "cooldown_seconds": draw(st.sampled_from([0, 0, 120, 300])),
            "max_alerts_per_hour": draw(st.sampled_from([None, None, 1, 2])),
            "flapping": draw(st.sampled_from([None, {"max_starts": 2, "within_seconds": 300}, {"max_starts": 3}])),
            "repeat_interval_seconds": draw(st.sampled_from([None, 300])),
            "series_ttl_seconds": draw(st.sampled_from([300, 3600])),
        }
    )


LEAD = 10  # minutes of data before the first tick: its window and delay reach back that far
VALUES = st.one_of(st.none(), st.sampled_from([10.0, 35.0, 45.0, 50.0, 55.0, 65.0, 90.0]))


@st.composite
def cases(draw: st.DrawFn) -> tuple[Rule, dict[tuple[str, str], list[float | None]], int]:
    rule = draw(rules())
    minutes = draw(st.integers(10, 50))
    hosts = HOSTS if rule.wildcards else HOSTS[:1]
    every = rule.evaluation_interval_seconds // 60
    first_due = -(-LEAD // every) * every  # T0's minute divides by every interval drawn
    first_window = first_due - rule.evaluation_delay_seconds // 60 - 1  # the last minute the first tick reads
    samples = {}
    for host in hosts:
        for name in ("A", "B"):
            values = draw(st.lists(VALUES, min_size=LEAD + minutes, max_size=LEAD + minutes))
            values[first_window] = 50.0  # every series reports in the first window (the module's docstring)
            samples[(host, name)] = values
    return rule, samples, minutes


def recorded(samples: dict[tuple[str, str], list[float | None]]) -> RecordedCloudWatch:
    cloudwatch = RecordedCloudWatch()
    for (host, name), values in samples.items():
        for minute, value in enumerate(values):
            if value is not None:
                at = T0 + timedelta(minutes=minute, seconds=20)
                cloudwatch.put("P", name, {"Host": host}, at, value)
    return cloudwatch


class Dynamo(FakeDynamoDB):
    def update_item(self, **params: Any) -> dict[str, Any]:
        """The run log's count of held-back alerts: counted, not kept (nothing here reads it)."""
        self.calls["update_item"] += 1
        return {}


def evaluator_alerts(rule: Rule, cloudwatch: RecordedCloudWatch, start: datetime, end: datetime) -> list[tuple]:
    dynamodb = Dynamo.from_template()
    ConfigRepository(dynamodb, "ConfigTable", RULE).create(rule)
    alerts = AlertRepository(dynamodb, "AlertsTable", "AlertLogTable")
    evaluator = Evaluator(
        rules=ConfigRepository(dynamodb, "ConfigTable", RULE),
        states=StateRepository(dynamodb, "StateTable"),
        alerts=alerts,
        metrics=CloudWatchMetrics(cloudwatch),
        runs=RunLog(dynamodb, "ConfigTable"),
        directory=MetricDirectory(CloudWatchListing(cloudwatch)),
    )
    tick = start
    while tick < end:  # a backtest's range is [start, end)
        cloudwatch.now = tick
        summary = evaluator.run(tick)
        assert summary.errors == 0
        tick += timedelta(minutes=1)
    found = alerts.since(start - timedelta(days=1))
    return sorted(
        (
            a.alert_id,
            tuple(sorted(a.series.items())),
            a.kind.value,
            a.started_at,
            a.resolved_at,
            tuple((t.event.value, t.at) for t in alerts.history(a.alert_id)),
        )
        for a in found
    )


def backtest_alerts(rule: Rule, cloudwatch: RecordedCloudWatch, start: datetime, end: datetime) -> list[tuple]:
    cloudwatch.now = end
    planned = plan(rule, start, end, end, MetricDirectory(CloudWatchListing(cloudwatch)))
    outcome = replay(planned, CloudWatchMetrics(cloudwatch).read_windows(planned.reads))
    events: dict[str, list[tuple[str, datetime]]] = {}
    for notification in outcome.notifications:
        events.setdefault(notification.alert_id, []).append((notification.event, notification.at))
    return sorted(
        (
            a.alert_id,
            tuple(sorted(a.series.items())),
            a.kind,
            a.started_at,
            a.resolved_at,
            tuple(events[a.alert_id]),
        )
        for a in outcome.alerts
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=cases())
def test_backtest_alerts_equal_the_evaluators_tick_by_tick(case):
    rule, samples, minutes = case
    start = T0 + timedelta(minutes=LEAD)
    end = start + timedelta(minutes=minutes)

    expected = evaluator_alerts(rule, recorded(samples), start, end)
    got = backtest_alerts(rule, recorded(samples), start, end)

    assert got == expected


GT_40 = {"operator": "gt", "threshold": 40}


def test_the_property_sees_alerts_of_every_kind():
    """The generator is not vacuous: a breaching fleet with gaps gives threshold and no-data alerts."""
    rule = Rule.model_validate(
        {
            "rule_id": "prop",
            "name": "Property",
            "conditions": [
                {
                    "metric": {"namespace": "P", "name": "A", "dimensions": {"Host": "*"}},
                    "operator": "gt",
                    "threshold": 40,
                }
            ],
            "window_seconds": 60,
            "treat_missing_data": "alert",
            "breaches_to_fire": 2,
        }
    )
    values: list[float | None] = [50.0] * 15 + [None] * 6 + [50.0] * 10
    samples = {("h1", "A"): values, ("h2", "A"): [50.0] + [10.0] * 30}
    start, end = T0 + timedelta(minutes=10), T0 + timedelta(minutes=30)
    expected = evaluator_alerts(rule, recorded(samples), start, end)
    assert {(a[2], a[1]) for a in expected} == {("threshold", (("Host", "h1"),)), ("nodata", (("Host", "h1"),))}
    assert backtest_alerts(rule, recorded(samples), start, end) == expected
