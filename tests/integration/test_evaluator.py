"""The real evaluator handler on scheduled events, minute by minute, against moto."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from alerting.kinds import RULE
from alerting.models.rules import Rule
from alerting.repositories.alerts import AlertFilter, AlertRepository
from alerting.repositories.config import ConfigRepository
from alerting.settings import EvaluatorSettings
from alerting_local.lambda_runtime import LambdaContext
from evaluator import handler as evaluator_handler
from evaluator.service import Evaluator
from tests.factories import T0, make_rule

EVENT = json.loads((Path(__file__).parents[2] / "events" / "scheduled.json").read_text())


def put_cpu(aws, minute: int, value: float) -> None:
    aws.client("cloudwatch").put_metric_data(
        Namespace="App/Service",
        MetricData=[
            {
                "MetricName": "CPUUtilization",
                "Dimensions": [{"Name": "Service", "Value": "web"}],
                "Timestamp": T0 + timedelta(minutes=minute, seconds=10),
                "Value": value,
            }
        ],
    )


def fresh() -> Evaluator:
    """The evaluator as a new container builds it, for this test's moto."""
    return evaluator_handler.build(EvaluatorSettings.from_env())


def tick(minute: int) -> dict[str, Any]:
    event = {**EVENT, "time": (T0 + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    return evaluator_handler.handler(event, LambdaContext("evaluator"), evaluator=fresh())


@pytest.fixture
def repos(aws):
    dynamodb = aws.client("dynamodb")
    env = aws.env("EvaluatorFunction")
    rules = ConfigRepository(dynamodb, env["CONFIG_TABLE"], RULE)
    alerts = AlertRepository(dynamodb, env["ALERTS_TABLE"], env["ALERT_LOG_TABLE"])
    return rules, alerts


def test_alert_fires_after_m_breaches_and_auto_resolves_with_history(aws, repos):
    rules, alerts = repos
    # Given a 1-minute window, fire after 2 consecutive breaches, no evaluation delay
    rules.create(make_rule(window_seconds=60, evaluation_delay_seconds=0, breaches_to_fire=2))
    cpu = [50, 95, 96, 97, 40, 30]
    for minute, value in enumerate(cpu):
        put_cpu(aws, minute, value)

    # When the schedule ticks every minute (each tick reads the minute that just ended)
    summaries = [tick(minute) for minute in range(1, len(cpu) + 1)]

    # Then the alert fires on the second breach and resolves on the first recovery
    assert [s["alerts_fired"] for s in summaries] == [0, 0, 1, 0, 0, 0]
    assert [s["alerts_resolved"] for s in summaries] == [0, 0, 0, 0, 1, 0]
    assert all(s["get_metric_data_calls"] == 1 for s in summaries)
    (alert,) = alerts.page(AlertFilter(), 10, None).items
    assert alert.status == "resolved" and alert.resolution == "auto"
    assert [t.event for t in alerts.history(alert.alert_id)] == ["firing", "resolved"]
    assert alert.values[0].value == 40
    assert alert.annotations == {}


def test_steady_state_writes_nothing(aws, repos):
    rules, _ = repos
    rules.create(make_rule(window_seconds=60, evaluation_delay_seconds=0))
    for minute in range(4):
        put_cpu(aws, minute, 20)
    assert [tick(m)["state_writes"] for m in range(1, 5)] == [0, 0, 0, 0]


def test_same_tick_twice_sequentially_fires_once(aws, repos):
    rules, alerts = repos
    rules.create(make_rule(window_seconds=60, evaluation_delay_seconds=0))
    put_cpu(aws, 0, 99)
    first, second = tick(1), tick(1)
    assert (first["alerts_fired"], second["alerts_fired"], second["duplicates"]) == (1, 0, 1)
    assert len(alerts.page(AlertFilter(), 10, None).items) == 1


def test_same_tick_in_parallel_threads_fires_once(aws, repos, atomic_requests):
    rules, alerts = repos
    for i in range(20):
        rules.create(make_rule(rule_id=f"r{i}", window_seconds=60, evaluation_delay_seconds=0))
    put_cpu(aws, 0, 99)
    event = {**EVENT, "time": (T0 + timedelta(minutes=1)).isoformat()}
    evaluator = fresh()

    def invoke(_: int) -> dict[str, Any]:
        return evaluator_handler.handler(event, LambdaContext("evaluator"), evaluator=evaluator)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(invoke, range(2)))
    assert sum(r["alerts_fired"] for r in results) == 20
    assert sum(r["state_writes"] for r in results) == 20  # each breach counted once
    assert sum(r["duplicates"] for r in results) == 20  # the other tick saw it was done
    assert sum(r["errors"] for r in results) == 0
    assert len(alerts.page(AlertFilter(), 100, None).items) == 20


def test_a_failing_rule_does_not_stop_the_others(aws, repos, monkeypatch):
    rules, _ = repos
    rules.create(make_rule(rule_id="good", window_seconds=60, evaluation_delay_seconds=0))
    rules.create(make_rule(rule_id="bad", window_seconds=60, evaluation_delay_seconds=0))
    put_cpu(aws, 0, 99)
    from alerting.lifecycle import commands

    real = commands.start_alert

    def explode_for_bad(rule, *args, **kwargs):
        if rule.rule_id == "bad":
            raise RuntimeError("boom")
        return real(rule, *args, **kwargs)

    monkeypatch.setattr(commands, "start_alert", explode_for_bad)
    summary = tick(1)
    assert (summary["alerts_fired"], summary["errors"]) == (1, 1)


def test_tick_that_read_stale_state_loses_the_race_and_counts_nothing(aws, repos, monkeypatch):
    # Given two invocations of one tick that both read the state before either wrote
    rules, alerts = repos
    rules.create(make_rule(window_seconds=60, evaluation_delay_seconds=0, breaches_to_fire=2))
    put_cpu(aws, 0, 99)
    put_cpu(aws, 1, 99)
    tick(1)
    evaluator = fresh()
    stale = evaluator.states.load_all()
    first = evaluator.run(T0 + timedelta(minutes=2))
    monkeypatch.setattr(evaluator.states, "load_all", lambda: stale)

    # When the second one commits over the version it read
    second = evaluator.run(T0 + timedelta(minutes=2))

    # Then its conditional write fails, it re-reads, and sees the tick was counted
    assert (first.alerts_fired, second.alerts_fired, second.duplicates, second.errors) == (1, 0, 1, 0)
    assert len(alerts.page(AlertFilter(), 10, None).items) == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("disable", "rule_disabled"),
        ("delete", "rule_deleted"),
        ("move", "rule_changed"),  # new dimensions: the rule now watches another series
    ],
)
def test_a_series_whose_rule_changed_under_it_is_retired_on_the_next_tick(aws, repos, change, reason):
    # Given a firing alert, and its rule changed without the API (rules-as-code, a raced tick)
    rules, alerts = repos
    rule = make_rule(window_seconds=60, evaluation_delay_seconds=0)
    rules.create(rule)
    put_cpu(aws, 0, 99)
    tick(1)
    if change == "delete":
        rules.delete(rule.rule_id)
    else:
        update = (
            {"enabled": False}
            if change == "disable"
            else {
                "conditions": [
                    rule.conditions[0].model_copy(
                        update={
                            "metric": rule.conditions[0].metric.model_copy(update={"dimensions": {"Service": "api"}})
                        }
                    )
                ]
            }
        )
        rules.replace(rule.model_copy(update={**update, "version": 2}), 1)

    # When the evaluator ticks
    summary = tick(2)

    # Then the alert is resolved with the reason, and the old series is gone
    (alert,) = alerts.page(AlertFilter(), 10, None).items
    assert (alert.status, alert.last_transition.reason, summary["alerts_resolved"]) == ("resolved", reason, 1)
    assert summary["errors"] == 0
    state_table = aws.env("EvaluatorFunction")["STATE_TABLE"]
    assert aws.client("dynamodb").scan(TableName=state_table)["Items"] == []


def test_nodata_alert_is_stored_listed_and_resolved(aws, repos):
    rules, alerts = repos
    rules.create(make_rule(window_seconds=60, evaluation_delay_seconds=0, treat_missing_data="alert"))
    tick(1)  # no datapoints at all
    (alert,) = alerts.page(AlertFilter(), 10, None).items
    assert (alert.kind, alert.values[0].value) == ("nodata", None)
    put_cpu(aws, 1, 10)
    assert tick(2)["alerts_resolved"] == 1


def test_a_rule_disabled_while_the_tick_runs_fires_nothing(aws, repos, monkeypatch):
    # Given a tick that read the rule enabled, and the rule disabled before it commits
    rules, alerts = repos
    rule = make_rule(window_seconds=60, evaluation_delay_seconds=0)
    rules.create(rule)
    put_cpu(aws, 0, 99)
    evaluator = fresh()
    rules.replace(rule.model_copy(update={"enabled": False, "version": 2}), 1)
    monkeypatch.setattr(evaluator.rules, "all", lambda: iter([rule]))

    # When it commits, Then the alert's transaction fails on the rule, and nothing is counted
    summary = evaluator.run(T0 + timedelta(minutes=1))
    assert (summary.alerts_fired, summary.errors) == (0, 0)
    assert alerts.page(AlertFilter(), 10, None).items == []


def test_a_rule_whose_queries_keep_failing_raises_an_error_alert_and_resolves_it(aws, repos, monkeypatch):
    rules, alerts = repos
    rules.create(make_rule(window_seconds=60, evaluation_delay_seconds=0, on_error="alert", breaches_to_fire=2))
    from alerting.repositories.cloudwatch import CloudWatchMetrics

    real = CloudWatchMetrics._call

    def denied(self, request):
        page = real(self, request)
        for result in page.get("MetricDataResults", []):
            result["StatusCode"], result["Messages"] = "Forbidden", [{"Code": "Forbidden", "Value": "no access"}]
        return page

    monkeypatch.setattr(CloudWatchMetrics, "_call", denied)
    assert [tick(m)["alerts_fired"] for m in (1, 2)] == [0, 1]
    (alert,) = alerts.page(AlertFilter(), 10, None).items
    assert (alert.kind, alert.rule_name, alert.status) == ("error", "High CPU (query error)", "firing")
    assert "Forbidden: no access" in alert.annotations["summary"]

    monkeypatch.setattr(CloudWatchMetrics, "_call", real)
    put_cpu(aws, 2, 10)
    assert tick(3)["alerts_resolved"] == 1
    assert alerts.get(alert.alert_id).last_transition.reason == "queries succeed again"


def put_instance_cpu(aws, minute: int, values: dict[str, float]) -> None:
    aws.client("cloudwatch").put_metric_data(
        Namespace="AWS/EC2",
        MetricData=[
            {
                "MetricName": "CPUUtilization",
                "Dimensions": [{"Name": "InstanceId", "Value": instance}],
                "Timestamp": T0 + timedelta(minutes=minute, seconds=10),
                "Value": value,
            }
            for instance, value in values.items()
        ],
    )


def fleet_rule(**overrides: Any) -> Rule:
    from tests.factories import condition, metric

    cpu = metric("CPUUtilization", namespace="AWS/EC2", dimensions={"InstanceId": "*"})
    return make_rule(
        rule_id="fleet-cpu",
        conditions=[condition(metric=cpu)],
        window_seconds=60,
        evaluation_delay_seconds=0,
        **overrides,
    )


def test_one_fleet_rule_watches_every_instance_and_alerts_per_series(aws, repos):
    rules, alerts = repos
    rules.create(fleet_rule())
    put_instance_cpu(aws, 0, {"i-1": 97, "i-2": 20, "i-3": 99})

    summary = tick(1)

    assert (summary["series"], summary["alerts_fired"], summary["get_metric_data_calls"]) == (3, 2, 1)
    assert summary["discovery_calls"] == 1 and summary["metric_queries"] == 3
    fired = sorted(a.series["InstanceId"] for a in alerts.page(AlertFilter(), 10, None).items)
    assert fired == ["i-1", "i-3"]

    put_instance_cpu(aws, 1, {"i-1": 10, "i-2": 10, "i-3": 99})
    summary = tick(2)
    assert (summary["alerts_fired"], summary["alerts_resolved"], summary["state_writes"]) == (0, 1, 1)  # i-1 only


def test_a_fleet_series_without_data_for_its_ttl_is_retired_as_gone(aws, repos):
    rules, alerts = repos
    rules.create(fleet_rule(series_ttl_seconds=300))
    put_instance_cpu(aws, 0, {"i-1": 97, "i-2": 20})
    tick(1)
    for minute in range(1, 7):  # i-1 is terminated; i-2 keeps reporting
        put_instance_cpu(aws, minute, {"i-2": 20})
    summaries = [tick(m) for m in range(2, 8)]

    (alert,) = alerts.page(AlertFilter(), 10, None).items
    assert (alert.status, alert.last_transition.reason) == ("resolved", "series_gone")
    assert [s["alerts_resolved"] for s in summaries] == [0, 0, 0, 0, 0, 1]  # 300 s after its data stopped


def test_series_beyond_max_series_are_counted_and_make_health_degraded(aws, repos):
    rules, _ = repos
    rules.create(fleet_rule(max_series=2))
    put_instance_cpu(aws, 0, {f"i-{n}": 20 for n in range(5)})
    summary = tick(1)
    assert (summary["series"], summary["series_over_limit"]) == (2, {"fleet-cpu": 3})

    from alerting.models.reports import EvaluationSummary
    from alerting.reports import assess_health

    check = assess_health(EvaluationSummary.model_validate(summary), {}, T0 + timedelta(minutes=1))
    assert check.reasons == ("rule fleet-cpu has 3 series beyond its max_series (not evaluated)",)
