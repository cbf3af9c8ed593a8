"""POST /rules/{rule_id}/backtest and POST /rules/backtest against moto: a past range of CloudWatch
data replayed tick by tick, limits refused before anything is read, edits compared."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from alerting.kinds import SILENCE
from alerting.models.common import floor_minute, iso, utcnow
from alerting.repositories.config import ConfigRepository
from tests.factories import make_rule, make_silence, rule_data

MINUTES = 40
HOT = range(10, 20)  # minutes (from the start) when CPU runs at 95; else 40


@pytest.fixture
def start():
    return floor_minute(utcnow()) - timedelta(minutes=MINUTES)


@pytest.fixture
def cpu(aws, start):
    """A datapoint a minute: hot for ten minutes, then calm."""
    data = [
        {
            "MetricName": "CPUUtilization",
            "Dimensions": [{"Name": "Service", "Value": "web"}],
            "Timestamp": start + timedelta(minutes=m, seconds=10),
            "Value": 95.0 if m in HOT else 40.0,
        }
        for m in range(-10, MINUTES)
    ]
    for i in range(0, len(data), 20):
        aws.client("cloudwatch").put_metric_data(Namespace="App/Service", MetricData=data[i : i + 20])


def window_rule(**overrides: Any) -> Any:
    """A 1-minute window read a minute late: the tick at m sees minute m - 2."""
    return make_rule(**{"rule_id": "cpu", "window_seconds": 60, "breaches_to_fire": 2, **overrides})


def test_saved_rule_backtest_gives_the_alert_it_would_have_fired(api, store, cpu, start):
    store.rules.create(window_rule())

    reply = api.post("/rules/cpu/backtest", body={"start": iso(start), "end": iso(start + timedelta(minutes=MINUTES))})

    assert reply.status == 200, reply.body
    body = reply.body
    # breaches at ticks 12 and 13 (minutes 10, 11): fires at 13; minute 20 is calm at tick 22
    assert [(a["started_at"], a["resolved_at"], a["peak"]) for a in body["alerts"]] == [
        (iso(start + timedelta(minutes=13)), iso(start + timedelta(minutes=22)), 95.0)
    ]
    assert body["firing_seconds"] == 9 * 60
    assert body["transitions"] == {"firing": 1, "resolved": 1}
    assert body["notifications"]["sent"] == 2
    plan = body["plan"]
    assert (plan["ticks"], plan["series"], plan["get_metric_data_calls"], plan["exact"]) == (MINUTES, 1, 1, True)
    assert body["thresholds"] == [
        {
            "label": "App/Service CPUUtilization{Service=web} Average",
            "operator": "gte",
            "threshold": 85.0,
            "warning_threshold": None,
            "resolve_threshold": None,
        }
    ]


def test_backtest_is_deterministic(api, store, cpu, start):
    store.rules.create(window_rule())
    body = {"start": iso(start), "end": iso(start + timedelta(minutes=MINUTES))}
    assert api.post("/rules/cpu/backtest", body=body).body == api.post("/rules/cpu/backtest", body=body).body


def test_an_edit_says_what_it_adds_and_removes_against_the_saved_rule(api, store, cpu, start):
    store.rules.create(window_rule())
    edited = rule_data(rule_id="cpu", window_seconds=60, breaches_to_fire=1)  # fires a tick earlier

    reply = api.post(
        "/rules/backtest", body={"rule": edited, "start": iso(start), "end": iso(start + timedelta(minutes=MINUTES))}
    )

    assert reply.status == 200, reply.body
    comparison = reply.body["comparison"]
    assert (comparison["alerts_before"], comparison["alerts_after"]) == (1, 1)
    assert comparison["added"] == comparison["removed"] == []  # the same alert, a minute longer
    assert comparison["added_spans"] == [
        {
            "series": {"Service": "web"},
            "start": iso(start + timedelta(minutes=12)),
            "end": iso(start + timedelta(minutes=13)),
        }
    ]
    assert comparison["removed_spans"] == []
    assert comparison["firing_seconds_after"] - comparison["firing_seconds_before"] == 60


def test_an_unsaved_rule_without_id_is_backtested_alone(api, cpu, start):
    rule = rule_data(window_seconds=60)
    rule.pop("rule_id")
    reply = api.post("/rules/backtest", body={"rule": rule, "start": iso(start)})
    assert reply.status == 200, reply.body
    assert (reply.body["rule_id"], reply.body["comparison"], len(reply.body["alerts"])) == ("unsaved", None, 1)


def test_silenced_transitions_are_counted_as_kept_quiet(api, store, cpu, start):
    store.rules.create(window_rule(rule_id="high-cpu"))  # the factory silence matches rule_id high-cpu
    silence = make_silence(starts_at=start, ends_at=start + timedelta(minutes=15))
    env = store.aws.env("ApiFunction")
    ConfigRepository(store.aws.client("dynamodb"), env["CONFIG_TABLE"], SILENCE).create(silence)

    body = api.post("/rules/high-cpu/backtest", body={"start": iso(start)}).body

    # fired at 13 under the silence; when it ends at 15 the firing is announced, as the sweep does
    assert body["notifications"]["sent"] == 2
    assert body["notifications"]["suppressed"] == {"silenced by drill": 1}
    assert [(n["event"], n["at"], n["suppressed_by"]) for n in body["notifications"]["items"]] == [
        ("firing", iso(start + timedelta(minutes=13)), "silenced by drill"),
        ("firing", iso(start + timedelta(minutes=15)), None),
        ("resolved", iso(start + timedelta(minutes=22)), None),
    ]


def test_plan_only_prices_it_and_reads_nothing(api, store, aws, start):
    store.rules.create(window_rule())
    end = iso(start + timedelta(minutes=MINUTES))  # explicit: "now" may move on a minute meanwhile
    reply = api.post(
        "/rules/cpu/backtest", body={"start": iso(start - timedelta(days=14)), "end": end, "plan_only": True}
    )
    assert reply.status == 200, reply.body
    body = reply.body
    assert (body["ran"], body["alerts"], body["plan"]["get_metric_data_calls"]) == (False, [], 1)
    assert body["plan"]["cost_usd"] == pytest.approx(0.00001)
    assert body["plan"]["ticks"] == 14 * 1440 + MINUTES


def test_invalid_rule_gets_post_rules_status_and_fields(api):
    bad = rule_data(breaches_to_fire=3, out_of=2)
    direct = api.post("/rules", body=bad)
    backtest = api.post("/rules/backtest", body={"rule": bad, "start": iso(utcnow() - timedelta(hours=1))})
    assert backtest.status == direct.status == 422
    assert [e["field"] for e in backtest.body["errors"]] == [f"rule.{e['field']}" for e in direct.body["errors"]]


def test_a_rule_naming_a_missing_channel_is_refused_as_post_rules_refuses_it(api):
    body = rule_data(channels=["nope"])
    direct = api.post("/rules", body=body)
    backtest = api.post("/rules/backtest", body={"rule": body, "start": iso(utcnow() - timedelta(hours=1))})
    assert backtest.status == direct.status == 400
    assert [e["field"] for e in backtest.body["errors"]] == ["rule.channels.0"]


@pytest.mark.parametrize(
    ("days_back", "field", "message"),
    [
        (456, "start", "more than 15 months (455 days)"),
        (-1, "start", "must be before end"),
    ],
)
def test_ranges_out_of_bounds_are_400_naming_the_limit(api, store, days_back, field, message):
    store.rules.create(window_rule())
    now = floor_minute(utcnow())
    reply = api.post("/rules/cpu/backtest", body={"start": iso(now - timedelta(days=days_back)), "end": iso(now)})
    assert reply.status == 400
    assert reply.body["errors"][0]["field"] == field and message in reply.body["errors"][0]["message"]


def test_a_backtest_over_the_call_budget_is_400_naming_the_limit(api, store):
    # a one-day window ticked every minute: 1,440 window phases, each its own GetMetricData call
    store.rules.create(make_rule(rule_id="daily", window_seconds=86_400))
    start = floor_minute(utcnow()) - timedelta(days=14)
    reply = api.post("/rules/daily/backtest", body={"start": iso(start)})
    assert reply.status == 400
    assert reply.body["errors"][0]["field"] == "end"
    assert "the limit is 200 calls" in reply.body["errors"][0]["message"]


def test_unknown_rule_is_404(api):
    assert api.post("/rules/nope/backtest", body={"start": iso(utcnow() - timedelta(hours=1))}).status == 404
