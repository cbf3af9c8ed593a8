"""GET /rules/{rule_id}/datapoints: the rule's statistic per window over a range, with its lines."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from alerting.models.common import floor_minute, iso, utcnow
from tests.factories import condition, make_rule, metric

END = floor_minute(utcnow())


def put(aws: Any, name: str, values: list[float], dimensions: dict[str, str] | None = None) -> None:
    """values[i] at i minutes before END (plus 10 s: inside the minute's window)."""
    aws.client("cloudwatch").put_metric_data(
        Namespace="App/Service",
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in (dimensions or {"Service": "web"}).items()],
                "Timestamp": END - timedelta(minutes=i) + timedelta(seconds=10),
                "Value": value,
            }
            for i, value in enumerate(values)
            if i > 0
        ],
    )


def window(minutes: int) -> dict[str, str]:
    return {"start": iso(END - timedelta(minutes=minutes)), "end": iso(END)}


def test_datapoints_give_one_point_per_window_and_the_rules_lines(api, aws, store):
    store.rules.create(
        make_rule(
            rule_id="cpu",
            window_seconds=60,
            conditions=[condition("gt", 90, warning_threshold=70, resolve_threshold=80)],
        )
    )
    put(aws, "CPUUtilization", [0, 50, 60, 95, 99])

    reply = api.get("/rules/cpu/datapoints", window(10))

    assert reply.status == 200, reply.body
    (shown,) = reply.body["conditions"]
    assert [p["v"] for p in shown["points"]] == [99, 95, 60, 50]  # oldest first
    assert (shown["threshold"], shown["warning_threshold"], shown["resolve_threshold"]) == (90, 70, 80)
    assert (reply.body["period_seconds"], reply.body["series"]) == (60, {})


def test_datapoints_of_metric_math_are_computed_per_timestamp(api, aws, store):
    errors, requests = metric("Errors", statistic="Sum"), metric("Requests", statistic="Sum")
    math = {"expression": "100 * e / r", "metrics": {"e": errors, "r": requests}, "operator": "gt", "threshold": 5}
    store.rules.create(make_rule(rule_id="error-rate", window_seconds=60, conditions=[math]))
    put(aws, "Errors", [0, 1, 10])
    put(aws, "Requests", [0, 100, 100])

    points = api.get("/rules/error-rate/datapoints", window(10)).body["conditions"][0]["points"]

    assert [p["v"] for p in points] == [10.0, 1.0]


def test_datapoints_of_a_fleet_rule_need_the_series_and_read_only_it(api, aws, store):
    fleet = condition("gt", 90, metric=metric(dimensions={"InstanceId": "*"}))
    store.rules.create(make_rule(rule_id="fleet", window_seconds=60, conditions=[fleet]))
    put(aws, "CPUUtilization", [0, 10], {"InstanceId": "i-1"})
    put(aws, "CPUUtilization", [0, 99], {"InstanceId": "i-2"})

    refused = api.get("/rules/fleet/datapoints", window(10))
    shown = api.get("/rules/fleet/datapoints", {**window(10), "series": "InstanceId=i-2"})

    assert refused.status == 400 and refused.body["errors"][0]["field"] == "series"
    assert shown.body["series"] == {"InstanceId": "i-2"}
    assert [p["v"] for p in shown.body["conditions"][0]["points"]] == [99]


def test_datapoints_refuse_a_backwards_or_too_long_range_naming_start(api, store):
    store.rules.create(make_rule(rule_id="cpu", window_seconds=60))
    backwards = api.get("/rules/cpu/datapoints", {"start": iso(END), "end": iso(END - timedelta(hours=1))})
    too_long = api.get("/rules/cpu/datapoints", {"start": iso(END - timedelta(days=32)), "end": iso(END)})
    two_days = api.get("/rules/cpu/datapoints", {"start": iso(END - timedelta(days=2)), "end": iso(END)})
    assert two_days.status == 200 and two_days.body["period_seconds"] == 120  # 2,880 windows → 1,440 points
    missing = api.get("/rules/nope/datapoints")
    assert (backwards.status, backwards.body["errors"][0]["field"]) == (400, "start")
    assert (too_long.status, too_long.body["errors"][0]["field"]) == (400, "start")
    assert missing.status == 404


def test_dashboard_page_and_files_are_served_with_a_strict_content_security_policy(api, aws):
    env = aws.env("ApiFunction")
    page = api.get("/")
    script = api.get("/ui/app.js")
    config = api.get("/ui/config.json")
    assert page.status == 200 and "<title>Alerts" in page.text
    policy = page.headers["Content-Security-Policy"][0]
    assert "default-src 'self'" in policy and "script-src 'self';" in policy
    region = env.get("AWS_REGION", "us-east-1")
    assert f"https://cognito-idp.{region}.amazonaws.com https://cognito-identity.{region}.amazonaws.com;" in policy
    # the stack's own WebSocket stage, not any ws:/wss: endpoint
    live_origin = env["LIVE_URL"].removesuffix("/live")
    assert live_origin.startswith("wss://") and f"connect-src 'self' {live_origin} https://" in policy
    assert " ws: " not in policy and " wss: " not in policy
    assert script.headers["Content-Type"][0].startswith("text/javascript")
    # the template's default: users sign in with the stack's user pool
    assert config.body["sign_in"]["user_pool_id"] == env["DASHBOARD_USER_POOL_ID"] != ""
    assert config.body["live_url"] == env["LIVE_URL"]
    assert api.get("/ui/../handler.py").status == 404
    assert api.get("/ui/secret.txt").status == 404
