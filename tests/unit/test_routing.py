"""The routing tree, walked as Alertmanager walks it (dispatch/route.go)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from alerting.evaluation import AlertChange, initial_state
from alerting.lifecycle import start_alert
from alerting.lifecycle.signals import Receiver, open_alert, signal_labels
from alerting.models.alerts import Alert, AlertKind
from alerting.models.routes import MAX_DEPTH, RouteSpec, StoredRoute
from alerting.models.rules import Rule
from alerting.models.signals import Signal
from alerting.routing import Router, route
from tests.factories import T0, make_rule


def stored(route_id: str, position: int = 0, **spec) -> StoredRoute:
    return StoredRoute.model_validate({"route_id": route_id, "name": route_id, "position": position, **spec})


def m(label: str, value: str, op: str = "=") -> dict[str, str]:
    return {"label": label, "op": op, "value": value}


PAYMENTS = stored(
    "payments",
    1,
    matchers=[m("team", "payments")],
    receiver={"channels": ["payments-slack"], "escalation_policy_id": "payments-oncall"},
    routes=[
        {"matchers": [m("severity", "critical")], "receiver": {"channels": ["payments-pager"]}},
        {"matchers": [m("env", "stag.*", "=~")], "mute_windows": ["nights"]},
    ],
)
EVERYTHING = stored("catch-all", 9, receiver={"channels": ["ops-email"]})


def test_first_match_wins_and_a_child_match_replaces_its_parent():
    routed = route([EVERYTHING, PAYMENTS], {"team": "payments", "severity": "critical"})
    assert [m.path for m in routed.matches] == [("payments", "0")]
    assert routed.channels == ["payments-pager"]
    assert routed.escalation_policy_id is None  # the child's own receiver names no policy


def test_a_route_whose_children_do_not_match_uses_its_own_receiver():
    routed = route([PAYMENTS, EVERYTHING], {"team": "payments", "severity": "high"})
    assert (routed.channels, routed.escalation_policy_id) == (["payments-slack"], "payments-oncall")


def test_a_child_without_receiver_inherits_its_parents_and_keeps_its_own_windows():
    routed = route([PAYMENTS], {"team": "payments", "env": "staging"})
    assert routed.channels == ["payments-slack"]
    assert (routed.mute_windows, [m.path for m in routed.matches]) == (["nights"], [("payments", "1")])


def test_continue_goes_on_to_the_next_sibling():
    first = stored(
        "audit", 0, matchers=[m("team", "payments")], receiver={"channels": ["audit-log"]}, **{"continue": True}
    )
    routed = route([first, PAYMENTS, EVERYTHING], {"team": "payments"})
    assert routed.channels == ["audit-log", "payments-slack"]


def test_nothing_matches_nobody_hears_it_but_the_topic():
    assert route([PAYMENTS], {"team": "web"}).channels == []
    assert route([], {}).matches == []


def test_empty_matchers_match_everything_and_missing_labels_read_as_empty():
    absent = stored("no-team", matchers=[m("team", "")], receiver={"channels": ["triage"]})
    assert route([absent], {"service": "api"}).channels == ["triage"]


def test_position_orders_the_top_level_then_the_id():
    a, b = stored("b-route", 5, receiver={"channels": ["b"]}), stored("a-route", 5, receiver={"channels": ["a"]})
    assert route([a, b], {}).channels == ["a"]


def test_regex_matchers_are_re2_and_anchored():
    r = stored("r", matchers=[m("service", "api|web", "=~")], receiver={"channels": ["x"]})
    assert route([r], {"service": "api"}).channels == ["x"]
    assert route([r], {"service": "api-gateway"}).channels == []
    with pytest.raises(ValidationError, match="matchers"):
        stored("bad", matchers=[m("service", "(?P<n>", "=~")])


def test_continue_is_spelled_as_alertmanager_spells_it():
    r = stored("c", **{"continue": True})
    assert r.continue_ and r.model_dump(mode="json")["continue"] is True
    assert StoredRoute.model_validate(r.model_dump(mode="json")) == r


def test_each_match_carries_the_routes_of_its_path_and_the_receiver_sums_them_up():
    audit = stored("audit", 0, matchers=[m("team", "payments")], receiver={"channels": ["audit-log"]}, continue_=True)
    routed = route([audit, PAYMENTS], {"team": "payments", "env": "staging"})
    assert [[r.matchers for r in match.trail] for match in routed.matches] == [
        [audit.matchers],
        [PAYMENTS.matchers, PAYMENTS.routes[1].matchers],
    ]
    assert routed.receiver == Receiver(["audit-log", "payments-slack"], "payments-oncall", ("nights",), ())


# -- what a tree may be -------------------------------------------------------------------------


def nest(depth: int) -> dict[str, Any]:
    """A route with ``depth`` levels below it, each a single child."""
    return {"matchers": [m("level", str(depth))], **({"routes": [nest(depth - 1)]} if depth else {})}


def test_a_tree_is_at_most_max_depth_routes_deep_and_the_error_names_the_first_too_deep():
    assert stored("deep", **nest(MAX_DEPTH - 1)).routes  # the top-level route is the first level
    with pytest.raises(ValidationError) as raised:
        RouteSpec.model_validate({"name": "deeper", **nest(MAX_DEPTH)})
    (error,) = raised.value.errors()
    assert error["loc"] == ("routes",)
    assert "routes.0.routes.0.routes.0.routes.0.routes.0 is nested too deep" in error["msg"]


def test_test_is_no_routes_id_it_is_the_explanation():
    with pytest.raises(ValidationError, match="GET /routes/test"):
        stored("test")


# -- a router over the stored routes, read again when they change -------------------------------


class Reads:
    def __init__(self, *routes: StoredRoute) -> None:
        self.routes, self.refreshes, self.loads = list(routes), 0, 0

    def refresh(self) -> None:
        self.refreshes += 1

    def load(self) -> list[StoredRoute]:
        self.loads += 1
        return self.routes


def test_a_router_reads_the_routes_each_call_and_once_per_time_for_a_batch():
    reads = Reads(PAYMENTS)
    router = Router(reads.load, reads.refresh)

    assert router({"team": "payments"}) == Receiver(["payments-slack"], "payments-oncall")
    assert router.explain({"team": "web"}).matches == []
    assert (reads.refreshes, reads.loads) == (2, 2)

    tick = router.at(T0)
    reads.routes = [EVERYTHING]  # changed after the tick read them
    assert tick({"team": "payments"}).channels == ["payments-slack"]
    assert router.at(T0)({"team": "payments"}).channels == ["payments-slack"]  # T0's alerts share one read
    assert (reads.refreshes, reads.loads) == (3, 3)
    assert router.at(T0 + timedelta(minutes=1))({}).channels == ["ops-email"]  # the next tick reads again


# -- the alert that opens: its own audience and its routes' ---------------------------------------


def alert_of(rule: Rule, router: Callable[[dict[str, str]], Receiver]) -> Alert:
    return start_alert(rule, initial_state(rule), AlertChange(AlertKind.threshold, "a-1", "2 of 2"), [], T0, router)


def test_a_rules_alert_hears_its_rule_and_its_routes_its_rules_policy_first():
    router = Router(lambda: [PAYMENTS, EVERYTHING])
    own = make_rule(channels=["ops-slack"], escalation_policy_id="web-oncall", labels={"team": "payments"})
    alert = alert_of(own, router)
    assert (alert.channels, alert.escalation_policy_id, alert.escalation_level) == (
        ["ops-slack", "payments-slack"],
        "web-oncall",
        1,
    )
    alert = alert_of(make_rule(labels={"team": "payments", "env": "staging"}), router)
    assert (alert.channels, alert.escalation_policy_id, alert.mute_windows) == (
        ["payments-slack"],
        "payments-oncall",
        ["nights"],
    )
    assert (alert.escalation_level, alert.escalated_at) == (1, T0)


def test_routes_match_an_alerts_identity_as_silences_do():
    by_rule = stored("cpu", matchers=[m("rule_id", "high-cpu"), m("source", "rule")], receiver={"channels": ["x"]})
    assert alert_of(make_rule(), Router(lambda: [by_rule])).channels == ["x"]
    alarm = Signal(source="cloudwatch", origin="cloudwatch:arn", name="Disk", key="", firing=True, at=T0)
    assert signal_labels(alarm)["source"] == "cloudwatch" and signal_labels(alarm)["severity"] == "high"
    opened = open_alert(alarm, Receiver(["pager"], "payments-oncall", ("nights",), ("days",)), T0)
    assert (opened.channels, opened.escalation_level, opened.mute_windows, opened.active_windows) == (
        ["pager"],
        1,
        ["nights"],
        ["days"],
    )
