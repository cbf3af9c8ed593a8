"""/routes through the handler (the references they make, checked both ways), GET /routes/test,
and the routes deciding who hears an alert as it opens, from a rule and from an outside source."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from alerting import wiring
from alerting.lifecycle import AlertLifecycle
from alerting.lifecycle.signals import signal_labels
from alerting.models.alerts import AlertSource
from alerting.models.routes import MAX_DEPTH
from alerting.models.signals import Signal
from alerting.settings import EvaluatorSettings
from api.handler import openapi_document
from evaluator.service import Evaluator
from tests.factories import make_rule
from tests.integration.api.conftest import FixedMetrics, minutes_ago

PAYMENTS: dict[str, Any] = {
    "route_id": "payments",
    "name": "Payments",
    "position": 1,
    "matchers": [{"label": "team", "value": "payments"}],
    "receiver": {"channels": ["payments-slack"], "escalation_policy_id": "payments-oncall"},
    "routes": [
        {"matchers": [{"label": "severity", "value": "critical"}], "receiver": {"channels": ["pager"]}},
        {"matchers": [{"label": "env", "op": "=~", "value": "stag.*"}], "mute_windows": ["nights"]},
    ],
}
POLICY = {
    "policy_id": "payments-oncall",
    "name": "Payments on-call",
    "levels": [{"targets": [{"channel": "pager"}], "escalate_after_seconds": 900}],
}
NIGHTS = {
    "mute_window_id": "nights",
    "name": "Nights",
    "time_zone": "UTC",
    "times": [{"start": "22:00", "end": "06:00"}],
}


@pytest.fixture
def named(api) -> None:
    """What the payments route names: three channels, a policy and a mute window."""
    for channel_id in ("payments-slack", "pager", "ops-email"):
        body = {"channel_id": channel_id, "name": channel_id, "type": "email", "target": {"to": ["a@example.com"]}}
        assert api.post("/channels", body).status == 201
    assert api.post("/escalation-policies", POLICY).status == 201
    assert api.post("/mute-windows", NIGHTS).status == 201


def test_route_create_get_replace_list_delete(api, named):
    created = api.post("/routes", {**PAYMENTS, "continue": True})
    assert (created.status, created.body["version"], created.body["continue"]) == (201, 1, True)
    assert created.body["routes"][1]["mute_windows"] == ["nights"]
    assert api.get("/routes/payments").body == created.body

    changed = {**created.body, "continue": False, "position": 5}
    replaced = api.put("/routes/payments", changed)
    assert (replaced.status, replaced.body["version"], replaced.body["continue"]) == (200, 2, False)
    assert api.put("/routes/payments", changed).status == 409  # the version read is stale

    assert [r["route_id"] for r in api.get("/routes").body["items"]] == ["payments"]
    assert api.delete("/routes/payments").status == 204
    assert api.get("/routes/payments").status == 404


def nested_channel(channel: str) -> dict[str, Any]:
    return {**PAYMENTS, "routes": [PAYMENTS["routes"][0], {"receiver": {"channels": ["pager", channel]}}]}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (nested_channel("nobody"), "routes.1.receiver.channels.1", "no channel 'nobody'"),
        (
            {**PAYMENTS, "receiver": {"channels": [], "escalation_policy_id": "gone"}},
            "receiver.escalation_policy_id",
            "no escalation policy 'gone'",
        ),
        (
            {**PAYMENTS, "routes": [{"routes": [{"mute_windows": ["weekends"]}]}]},
            "routes.0.routes.0.mute_windows.0",
            "no mute window 'weekends'",
        ),
        ({**PAYMENTS, "active_windows": ["office-hours"]}, "active_windows.0", "no mute window 'office-hours'"),
    ],
    ids=["nested channel", "policy", "nested mute window", "active window"],
)
def test_a_route_naming_what_does_not_exist_is_a_400_naming_the_field(api, named, body, field, message):
    reply = api.post("/routes", body)
    assert (reply.status, reply.body["errors"]) == (400, [{"field": field, "message": message}])
    assert api.get("/routes/payments").status == 404


def test_a_tree_too_deep_or_the_id_test_is_a_422_naming_the_field(api, named):
    deep: dict[str, Any] = {"matchers": []}
    for _ in range(MAX_DEPTH):  # the top-level route and MAX_DEPTH below it
        deep = {"routes": [deep]}
    reply = api.post("/routes", {**PAYMENTS, **deep})
    (error,) = reply.body["errors"]
    assert (reply.status, error["field"]) == (422, "routes")
    assert error["message"].startswith("routes.0.routes.0.routes.0.routes.0.routes.0 is nested too deep")
    reply = api.post("/routes", {**PAYMENTS, "route_id": "test"})
    assert (reply.status, [e["field"] for e in reply.body["errors"]]) == (422, ["route_id"])


@pytest.mark.parametrize(
    ("path", "thing"),
    [
        ("/channels/pager", "channel"),
        ("/escalation-policies/payments-oncall", "policy"),
        ("/mute-windows/nights", "window"),
    ],
)
def test_what_a_route_uses_cannot_be_deleted_and_the_409_names_the_route(api, named, path, thing):
    assert api.post("/routes", PAYMENTS).status == 201
    refused = api.delete(path)
    assert refused.status == 409 and "route payments" in refused.body["message"], refused.body
    assert api.delete("/routes/payments").status == 204
    if thing != "channel":  # the policy still pages the pager
        assert api.delete(path).status == 204


def test_routes_test_answers_which_receivers_and_by_which_routes(api, named):
    everything = {"route_id": "catch-all", "name": "Everything", "position": 9, "receiver": {"channels": ["ops-email"]}}
    assert api.post("/routes", PAYMENTS).status == 201
    assert api.post("/routes", everything).status == 201

    reply = api.get("/routes/test", query={"team": "payments", "env": "staging", "severity": "high"})

    assert reply.status == 200, reply.body
    assert reply.body == {
        "labels": {"team": "payments", "env": "staging", "severity": "high"},
        "matches": [
            {
                "path": ["payments", "1"],
                "steps": [
                    {"route": "payments", "matchers": [{"label": "team", "op": "=", "value": "payments"}]},
                    {"route": "1", "matchers": [{"label": "env", "op": "=~", "value": "stag.*"}]},
                ],
                "receiver": {"channels": ["payments-slack"], "escalation_policy_id": "payments-oncall"},
                "mute_windows": ["nights"],
                "active_windows": [],
            }
        ],
        "channels": ["payments-slack"],
        "escalation_policy_id": "payments-oncall",
        "mute_windows": ["nights"],
        "active_windows": [],
    }
    web = api.get("/routes/test", query={"team": "web"}).body
    assert ([m["path"] for m in web["matches"]], web["channels"]) == ([["catch-all"]], ["ops-email"])


@pytest.mark.parametrize(
    ("query", "field"),
    [({f"l{i}": "x" for i in range(51)}, "labels"), ({"team": "x" * 1001}, "team"), ({"é" * 101: "x"}, "labels")],
    ids=["too many", "too long", "name too long"],
)
def test_routes_test_refuses_what_no_alert_carries_naming_the_label(api, query, field):
    reply = api.get("/routes/test", query=query)
    assert (reply.status, [e["field"] for e in reply.body["errors"]]) == (400, [field])


def test_routes_test_refuses_a_label_given_twice_and_is_documented(api):
    reply = api.get("/routes/test", query={"team": ["a", "b"]})
    assert (reply.status, [e["field"] for e in reply.body["errors"]]) == (400, ["team"])
    assert api.get("/routes/test").body["matches"] == []  # no labels, no routes: the topic alone

    operation = json.loads(openapi_document("test"))["paths"]["/routes/test"]["get"]
    (labels,) = operation["parameters"]
    assert (labels["in"], labels["style"], labels["explode"]) == ("query", "form", True)
    assert "x-query-parameters" not in operation


# -- the routes at the moment an alert opens ----------------------------------------------------


def test_a_rules_alert_hears_its_rule_and_its_routes_and_a_signals_alert_its_routes(api, store, named):
    assert api.post("/routes", PAYMENTS).status == 201
    router = wiring.router(EvaluatorSettings.from_env())
    rule = make_rule(channels=["ops-email"], labels={"team": "payments", "env": "staging"})
    store.rules.create(rule)

    Evaluator(store.rules, store.states, store.alerts, FixedMetrics(99.0), store.runs, router=router).run(
        minutes_ago(10)
    )

    (alert,) = store.alerts.open_for_rule(rule.rule_id)
    assert (alert.channels, alert.escalation_policy_id, alert.escalation_level) == (
        ["ops-email", "payments-slack"],
        "payments-oncall",
        1,
    )
    assert (alert.mute_windows, alert.active_windows) == (["nights"], [])

    # a change through the API applies to the next alert that opens (read-your-writes)
    receiver = {"channels": ["ops-email"], "escalation_policy_id": "payments-oncall"}
    assert api.put("/routes/payments", {**PAYMENTS, "version": 1, "receiver": receiver}).status == 200
    alarm = Signal(
        source=AlertSource.cloudwatch,
        origin="cloudwatch:arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders",
        name="orders",
        key="",
        firing=True,
        at=minutes_ago(5),
        labels={"team": "payments"},
    )
    lifecycle = AlertLifecycle(store.alerts, store.states)
    lifecycle.receive(alarm, router(signal_labels(alarm)), minutes_ago(5) + timedelta(seconds=1))
    (opened,) = store.alerts.open_for_rule(alarm.origin)
    assert (opened.source, opened.channels, opened.escalation_policy_id, opened.escalation_level) == (
        "cloudwatch",
        ["ops-email"],
        "payments-oncall",
        1,
    )
