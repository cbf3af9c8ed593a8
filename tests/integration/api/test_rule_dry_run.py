"""POST /rules/{rule_id}/test and POST /rules/test: the evaluator's decision now, nothing written."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from alerting.models.common import floor_minute, utcnow
from tests.factories import condition, make_rule, metric, rule_data


def put_cpu(aws: Any, value: float) -> None:
    """A datapoint inside the window every default rule reads now (window 300 s, delay 60 s)."""
    aws.client("cloudwatch").put_metric_data(
        Namespace="App/Service",
        MetricData=[
            {
                "MetricName": "CPUUtilization",
                "Dimensions": [{"Name": "Service", "Value": "web"}],
                "Timestamp": floor_minute(utcnow()) - timedelta(minutes=3),
                "Value": value,
            }
        ],
    )


def scan(aws: Any, table: str) -> list[dict[str, Any]]:
    return aws.client("dynamodb").scan(TableName=aws.env("ApiFunction")[table])["Items"]


@pytest.fixture
def tables(aws):
    """Snapshot of everything the evaluator writes, to prove a dry run writes none of it."""
    return lambda: {t: scan(aws, t) for t in ("STATE_TABLE", "ALERTS_TABLE", "ALERT_LOG_TABLE")}


def test_stored_rule_breaching_once_of_two_is_pending(api, aws, store, tables):
    store.rules.create(make_rule(rule_id="cpu", breaches_to_fire=2))
    put_cpu(aws, 97.0)
    before = tables()

    reply = api.post("/rules/cpu/test")

    assert reply.status == 200
    result = reply.body
    assert (result["outcome"], result["action"], result["pending"]) == ("breach", "nothing", "1 of 2")
    assert result["conditions"][0] | {"metric": "-"} == {
        "metric": "-",
        "statistic": "Average",
        "operator": "gte",
        "threshold": 85.0,
        "resolve_threshold": None,
        "value": 97.0,
        "breaching": True,
        "error": None,
    }
    assert result["reason"] == "1 of the last 2 evaluations breached; 2 needed to fire"
    assert result["series_status"] == "pending"
    assert tables() == before


def test_posted_rule_that_would_fire_says_so_and_writes_nothing(api, aws, tables):
    put_cpu(aws, 97.0)
    body = rule_data(breaches_to_fire=1)
    del body["rule_id"]

    reply = api.post("/rules/test", body)

    assert reply.status == 200
    assert (reply.body["rule_id"], reply.body["action"]) == ("dry-run", "fire")
    assert reply.body["reason"] == "1 of the last 1 evaluations breached"
    assert tables() == {"STATE_TABLE": [], "ALERTS_TABLE": [], "ALERT_LOG_TABLE": []}


def test_stored_rule_with_an_open_alert_and_recovered_metric_would_resolve(api, aws, store, tables):
    alert = store.fire(make_rule(rule_id="cpu"))
    put_cpu(aws, 20.0)
    before = tables()

    result = api.post("/rules/cpu/test").body

    assert (result["outcome"], result["action"], result["open_alert_id"]) == ("ok", "resolve", None)
    assert result["reason"].startswith("recovered for 1 evaluation")
    assert store.alerts.get(alert.alert_id).status == "firing"
    assert tables() == before


def test_missing_data_is_reported_as_not_counted(api, store):
    store.rules.create(make_rule(rule_id="cpu"))
    result = api.post("/rules/cpu/test").body
    assert (result["outcome"], result["action"]) == ("unknown", "nothing")
    assert result["conditions"][0]["value"] is None and result["conditions"][0]["breaching"] is None


def test_dry_run_of_a_rule_cloudwatch_would_refuse_is_422(api):
    body = rule_data(conditions=[condition(metric=metric(dimensions={"Service": ""}))])
    reply = api.post("/rules/test", body)
    assert (reply.status, reply.body["errors"][0]["field"]) == (422, "conditions.0.metric.dimensions.Service")


def test_dry_run_of_unknown_rule_is_404_and_invalid_body_is_422(api):
    assert api.post("/rules/nope/test").status == 404
    reply = api.post("/rules/test", rule_data(window_seconds=61))
    assert (reply.status, reply.body["errors"][0]["field"]) == (422, "window_seconds")


def test_dry_run_of_a_fleet_rule_lists_every_series_most_urgent_first(api, aws, tables):
    at = floor_minute(utcnow()) - timedelta(minutes=3)
    aws.client("cloudwatch").put_metric_data(
        Namespace="AWS/EC2",
        MetricData=[
            {
                "MetricName": "CPUUtilization",
                "Dimensions": [{"Name": "InstanceId", "Value": i}],
                "Timestamp": at,
                "Value": v,
            }
            for i, v in (("i-1", 20.0), ("i-2", 97.0), ("i-3", 30.0))
        ],
    )
    cpu = metric("CPUUtilization", namespace="AWS/EC2", dimensions={"InstanceId": "*"})
    before = tables()

    reply = api.post("/rules/test", rule_data(conditions=[condition(metric=cpu)]))

    assert reply.status == 200, reply.body
    body = reply.body
    assert (body["action"], body["series"]) == ("fire", {"InstanceId": "i-2"})
    assert [(s["series"]["InstanceId"], s["action"], s["conditions"][0]["value"]) for s in body["fleet"]] == [
        ("i-2", "fire", 97.0),
        ("i-1", "nothing", 20.0),
        ("i-3", "nothing", 30.0),
    ]
    assert tables() == before

    nothing = metric("CPUUtilization", namespace="AWS/Nothing", dimensions={"InstanceId": "*"})
    reply = api.post("/rules/test", rule_data(conditions=[condition(metric=nothing)]))
    assert (reply.status, reply.body["errors"][0]["field"]) == (400, "conditions")


def test_dry_run_of_metric_math_computes_over_the_batched_queries_and_bad_math_is_422(api, aws):
    at = floor_minute(utcnow()) - timedelta(minutes=3)
    aws.client("cloudwatch").put_metric_data(
        Namespace="App",
        MetricData=[
            {"MetricName": name, "Dimensions": [{"Name": "Service", "Value": "pay"}], "Timestamp": at, "Value": v}
            for name, v in (("Errors", 12.0), ("Requests", 100.0))
        ],
    )
    dims = {"Service": "pay"}
    ratio = {
        "expression": "100 * errors / requests",
        "metrics": {
            "errors": metric("Errors", namespace="App", dimensions=dims, statistic="Sum"),
            "requests": metric("Requests", namespace="App", dimensions=dims, statistic="Sum"),
        },
        "operator": "gt",
        "threshold": 5,
    }
    reply = api.post("/rules/test", rule_data(conditions=[ratio]))
    assert reply.status == 200, reply.body
    (seen,) = reply.body["conditions"]
    assert (seen["metric"], seen["statistic"], seen["value"], reply.body["action"]) == (
        "100 * errors / requests",
        "expression",
        12.0,
        "fire",
    )

    reply = api.post("/rules", rule_data(conditions=[{**ratio, "expression": "100 * errors / requestz"}]))
    assert (reply.status, reply.body["errors"][0]["field"]) == (422, "conditions.0.expression")
