"""The routing tree, walked as Alertmanager walks it (dispatch/route.go)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from alerting.models.routes import StoredRoute
from alerting.routing import route


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
