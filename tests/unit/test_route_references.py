"""What a route names, at any depth of its tree, must exist (the API's 400 and `make rules-plan`
name the field), and nothing a route names is deleted while it does (the API's 409)."""

from __future__ import annotations

from typing import Any

from alerting import references
from alerting.kinds import CHANNEL, MUTE_WINDOW, POLICY, ROUTE, RULE, Kind
from alerting.models.routes import RouteSpec
from tests.factories import make_rule

TREE = RouteSpec.model_validate(
    {
        "name": "Payments",
        "receiver": {"channels": ["payments-slack"], "escalation_policy_id": "payments-oncall"},
        "mute_windows": ["nights"],
        "routes": [
            {"routes": [{"receiver": {"channels": ["ops", "pager"]}, "active_windows": ["days"]}]},
        ],
    }
)


def test_every_route_of_the_tree_names_its_channels_policy_and_windows_with_their_fields():
    assert [(r.field, r.kind.name, r.item_id) for r in references.references(ROUTE, TREE)] == [
        ("receiver.channels.0", "channel", "payments-slack"),
        ("receiver.escalation_policy_id", "policy", "payments-oncall"),
        ("mute_windows.0", "mute_window", "nights"),
        ("routes.0.routes.0.receiver.channels.0", "channel", "ops"),
        ("routes.0.routes.0.receiver.channels.1", "channel", "pager"),
        ("routes.0.routes.0.active_windows.0", "mute_window", "days"),
    ]


def test_the_first_missing_one_is_what_a_save_refuses():
    def exists(kind: Kind[Any], item_id: str) -> bool:
        return item_id not in {"pager", "days"}

    assert [r.field for r in references.missing(ROUTE, TREE, exists)] == [
        "routes.0.routes.0.receiver.channels.1",
        "routes.0.routes.0.active_windows.0",
    ]


def test_what_a_route_names_is_used_by_it_after_rules_policies_and_schedules():
    items = [(ROUTE, "payments", TREE), (RULE, "cpu", make_rule(channels=["ops"]))]
    assert references.users(CHANNEL, "ops", items) == ["rule cpu", "route payments"]
    assert references.users(POLICY, "payments-oncall", items) == ["route payments"]
    assert references.users(MUTE_WINDOW, "days", items) == ["route payments"]
    assert references.users(MUTE_WINDOW, "weekends", items) == []
