"""The backtest's plan (calls, cost, resolution, limits), its reads, its replay's reports and its
comparison of an edit with the saved rule. (Its alerts against the evaluator's: the property test.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerting.backtest.comparison import compare
from alerting.backtest.history import HistoricListing
from alerting.backtest.planning import Budget, Limits, enforce, plan
from alerting.backtest.replay import BacktestAlert, Outcome, Quieting
from alerting.backtest.runner import run
from alerting.discovery import MetricDirectory
from alerting.errors import InvalidInput, MetricsUnavailable
from alerting.evaluation import AlertChange, initial_state
from alerting.lifecycle import start_alert
from alerting.metrics import MAX_DATAPOINTS_PER_CALL, WindowRead, window_reads
from alerting.models.alerts import AlertKind
from alerting.models.common import AlertEvent
from alerting.models.conditions import MetricSpec
from alerting.models.mute_windows import MuteWindow
from alerting.recorded import RecordedCloudWatch
from alerting.repositories.cloudwatch import CloudWatchListing, CloudWatchMetrics
from tests.factories import make_rule, make_silence

NOW = datetime(2026, 12, 1, tzinfo=UTC)
DAYS_14 = NOW - timedelta(days=14)
CPU = ("App/Service", "CPUUtilization", (("Service", "web"),), "Average")


def fleet_cloudwatch(hosts: int) -> RecordedCloudWatch:
    cloudwatch = RecordedCloudWatch(now=NOW)
    for h in range(hosts):
        cloudwatch.put("App/Service", "CPUUtilization", {"Host": f"h{h}"}, NOW - timedelta(hours=1), 50.0)
    return cloudwatch


def test_fourteen_days_of_a_five_minute_window_are_five_queries_in_five_calls():
    rule = make_rule()  # window 300 s, every minute
    planned = plan(rule, DAYS_14, NOW, NOW, None)
    assert (planned.ticks, planned.calls) == (20_160, 5)  # one call per window phase
    assert [r.period for r in planned.reads] == [300] * 5
    assert sum(r.datapoints for r in planned.reads) == planned.ticks
    assert Budget.of([planned]).cost_usd == pytest.approx(5 * 0.00001)


def test_a_hundred_series_fleet_for_fourteen_days_is_twenty_calls():
    metric = {"namespace": "App/Service", "name": "CPUUtilization", "dimensions": {"Host": "*"}}
    rule = make_rule(conditions=[{"metric": metric, "operator": "gte", "threshold": 85}])
    directory = MetricDirectory(CloudWatchListing(fleet_cloudwatch(100)))
    planned = plan(rule, DAYS_14, NOW, NOW, directory)
    budget = Budget.of([planned])
    assert (len(planned.series), planned.list_metrics_calls) == (100, 1)
    assert (budget.calls, budget.metrics_requested) == (20, 500)
    assert all(r.datapoints <= MAX_DATAPOINTS_PER_CALL and len(r.metrics) <= 500 for r in planned.reads)
    assert budget.evaluations == 100 * planned.ticks


def test_window_reads_pack_at_most_500_queries_and_100800_datapoints_a_call():
    metrics = [(*CPU[:2], (("Host", f"h{i}"),), "Average") for i in range(1200)]
    short = window_reads(metrics, [(60, 60 * m) for m in range(1, 11)])  # 10 buckets each
    assert [len(r.metrics) for r in short] == [500, 500, 200]
    long = window_reads(metrics[:10], [(60, 60 * m) for m in range(1, 150_001)])  # 150,000 buckets
    assert [(r.buckets, len(r.metrics)) for r in long] == [(100_800, 1)] * 10 + [(49_200, 2)] * 5


def test_older_ticks_read_coarser_windows_and_say_so():
    rule = make_rule()
    planned = plan(rule, NOW - timedelta(days=20), NOW, NOW, None)
    old_tick = int((NOW - timedelta(days=19, minutes=3)).timestamp())
    length, end = planned.snap(old_tick)
    assert (length, end % 300) == (300, 0) and end <= old_tick - 60
    assert planned.snap(int(NOW.timestamp()))[0] == 300
    assert [r.seconds for r in planned.resolutions] == [300, 60]
    assert not planned.exact


def test_a_range_reaching_past_15_months_is_refused_naming_the_limit():
    with pytest.raises(InvalidInput, match=r"more than 15 months \(455 days\)") as refused:
        plan(make_rule(), NOW - timedelta(days=456), NOW, NOW, None)
    assert refused.value.field == "start"


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        (Limits(max_calls=4), "needs 5 GetMetricData calls .* the limit is 4 calls"),
        (Limits(max_evaluations=20_000), "20,160 evaluations .* the limit of one request is 20,000"),
    ],
)
def test_a_plan_over_a_limit_is_refused_before_anything_is_read(limits, message):
    cloudwatch = RecordedCloudWatch()
    with pytest.raises(InvalidInput, match=message):
        run(make_rule(), DAYS_14, NOW, NOW, metrics=CloudWatchMetrics(cloudwatch), directory=None, limits=limits)
    assert cloudwatch.calls["get_metric_data"] == 0
    enforce(Budget([], 0), Limits(max_calls=0))  # nothing to read: within any budget


def test_read_windows_follows_pages_past_100800_datapoints():
    cloudwatch = RecordedCloudWatch()
    metrics = [(*CPU[:2], (("Host", f"h{i}"),), "Maximum") for i in range(30)]
    for i in range(30):
        for bucket in range(4032):
            at = DAYS_14 + timedelta(minutes=5 * bucket + 1)
            cloudwatch.put("App/Service", "CPUUtilization", {"Host": f"h{i}"}, at, float(i))
    reader = CloudWatchMetrics(cloudwatch)
    values = reader.read_windows([WindowRead(DAYS_14, NOW, 300, tuple(metrics))])  # 120,960 datapoints
    assert (reader.calls, len(values)) == (2, 30 * 4032)
    assert values[(metrics[7], 300, int(NOW.timestamp()))] == 7.0


def test_read_windows_fails_the_backtest_when_cloudwatch_fails_a_query():
    class Refusing(RecordedCloudWatch):
        def get_metric_data(self, **request):
            page = super().get_metric_data(**request)
            page["MetricDataResults"][0] |= {"StatusCode": "Forbidden", "Messages": [{"Value": "denied"}]}
            return page

    with pytest.raises(MetricsUnavailable, match="Forbidden: denied"):
        CloudWatchMetrics(Refusing()).read_windows([WindowRead(DAYS_14, NOW, 300, (CPU,))])


def test_historic_listing_lists_a_metric_while_a_window_of_the_last_three_hours_had_data():
    end = int(NOW.timestamp())
    listing = HistoricListing({(CPU, 300, end): 1.0})
    metric = MetricSpec(namespace="App/Service", name="CPUUtilization", dimensions={"Service": "*"})
    listed = []
    for hours in (-1, 0, 2, 3):
        listing.now = NOW + timedelta(hours=hours)
        listed.append(len(listing.dimensions(metric, recently_active=True)))
    assert listed == [0, 1, 1, 0]


def alert(start: int, end: int | None, host: str = "h1", kind: str = "threshold") -> BacktestAlert:
    return BacktestAlert(
        alert_id=f"{host}-{start}",
        series={"Host": host},
        kind=kind,
        severity="high",
        started_at=NOW + timedelta(minutes=start),
        resolved_at=None if end is None else NOW + timedelta(minutes=end),
        peak=None,
        firing_seconds=0,
        flapping=False,
    )


def outcome(alerts: list[BacktestAlert]) -> Outcome:
    later = NOW + timedelta(hours=1)
    return Outcome(plan(make_rule(), NOW - timedelta(hours=1), later, later, None), alerts, [], {}, 0)


def test_compare_names_the_alerts_and_the_time_an_edit_adds_and_removes():
    saved = outcome([alert(0, 10), alert(30, 40), alert(0, 5, host="h2")])
    edited = outcome([alert(-5, 12), alert(50, None), alert(0, 5, host="h2")])  # the last open at the end
    comparison = compare(saved, edited)
    assert [a.alert_id for a in comparison.added] == ["h1-50"]
    assert [a.alert_id for a in comparison.removed] == ["h1-30"]
    spans = [(s.series["Host"], s.start, s.end) for s in comparison.added_spans]
    minute = [NOW + timedelta(minutes=m) for m in (-5, 0, 10, 12, 50, 60)]
    assert spans == [("h1", minute[0], minute[1]), ("h1", minute[2], minute[3]), ("h1", minute[4], minute[5])]
    assert [(s.start, s.end) for s in comparison.removed_spans] == [
        (NOW + timedelta(minutes=30), NOW + timedelta(minutes=40))
    ]


def test_quieting_names_the_silence_the_mute_window_or_flapping():
    rule = make_rule()
    at = make_silence().starts_at + timedelta(minutes=5)
    fired = start_alert(rule, initial_state(rule), AlertChange(AlertKind.threshold, "a1", "x"), [], at)
    window = MuteWindow.model_validate(
        {
            "mute_window_id": "always",
            "name": "Always",
            "time_zone": "UTC",
            "times": [{"start": "00:00", "end": "23:59"}],
        }
    )
    assert Quieting([make_silence()], [window]).reason(fired, fired.last_transition) == "silenced by drill"
    assert Quieting([], [window]).reason(fired, fired.last_transition) == "muted by always"
    quiet = fired.model_copy(update={"flapping": True})
    assert Quieting().reason(quiet, quiet.last_transition) == "flapping"
    announced = quiet.last_transition.model_copy(update={"event": AlertEvent.flapping})
    assert Quieting().reason(quiet, announced) is None


def test_run_reports_progress_and_the_same_result_twice():
    cloudwatch = RecordedCloudWatch(now=NOW)
    start = NOW - timedelta(days=1)
    for minute in range(-10, 1440):
        value = 95.0 if 600 <= minute < 700 else 40.0
        cloudwatch.put("App/Service", "CPUUtilization", {"Service": "web"}, start + timedelta(minutes=minute), value)
    said: list[str] = []
    rule = make_rule(breaches_to_fire=2)
    first = run(rule, start, NOW, NOW, metrics=CloudWatchMetrics(cloudwatch), directory=None, progress=said.append)
    again = run(rule, start, NOW, NOW, metrics=CloudWatchMetrics(cloudwatch), directory=None)
    assert first.outcome == again.outcome
    assert said[:5] == [f"read {i} of 5 GetMetricData calls" for i in range(1, 6)]
    assert [s.split("%")[0] for s in said[5:]] == [f"replayed {p}" for p in range(10, 101, 10)]
    # a 5-minute average at 95 needs five hot minutes: first at 606 (minutes 600-604), twice at 607;
    # minute 700 is back to 40 in the window of 702
    assert [(a.started_at, a.resolved_at, a.peak) for a in first.outcome.alerts] == [
        (start + timedelta(minutes=607), start + timedelta(minutes=702), 95.0)
    ]
