"""Routes as code: `routes:` in the rules folder, validated with the API's models, checked for
what they name, and planned (`make rules-plan`) like every other kind."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from alerting.kinds import MUTE_WINDOW, POLICY, ROUTE
from alerting.models.mute_windows import MuteWindow
from alerting.models.policies import EscalationPolicy
from alerting.models.routes import MAX_DEPTH, StoredRoute
from alerting.repositories.applied import Applied
from alerting.rule_files import load_sections, reference_problems
from alerting.rules_plan import Table, content_digest, plan

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)

ROUTES_FILE = """
routes:
  - route_id: payments
    name: Payments
    matchers: [{label: team, value: payments}]
    receiver: {channels: [payments-slack], escalation_policy_id: payments-oncall}
    continue: true
    routes:
      - matchers: [{label: env, op: "=~", value: "stag.*"}]
        mute_windows: [nights]
        active_windows: [office-hours]
"""


def test_routes_sit_beside_rules_continue_spelled_as_alertmanager_spells_it(tmp_path: Path):
    (tmp_path / "routes.yaml").write_text(ROUTES_FILE)
    declared, problems = load_sections(tmp_path)
    assert problems == []
    (route,) = declared[ROUTE.section]
    assert (route.route_id, route.continue_, route.routes[0].mute_windows) == ("payments", True, ["nights"])


def test_a_bad_route_names_its_file_and_field(tmp_path: Path):
    deep: dict[str, Any] = {"matchers": []}
    for _ in range(MAX_DEPTH):
        deep = {"routes": [deep]}
    bad_regex = {"route_id": "re", "name": "Re", "matchers": [{"label": "a", "op": "=~", "value": "(?=x)"}]}
    routes = [{"route_id": "deep", "name": "Deep", **deep}, bad_regex]
    (tmp_path / "routes.yaml").write_text(yaml.safe_dump({"routes": routes}))
    _, problems = load_sections(tmp_path)
    assert [(Path(p.file).name, p.field) for p in problems] == [
        ("routes.yaml", "routes[0].routes"),
        ("routes.yaml", "routes[1].matchers.0.value"),
    ]


def test_validate_finds_the_policies_and_windows_the_folder_does_not_declare(tmp_path: Path):
    (tmp_path / "routes.yaml").write_text(ROUTES_FILE + "mute_windows:\n" + WINDOW_YAML)
    declared, _ = load_sections(tmp_path)
    assert [str(p) for p in reference_problems([], declared)] == [
        "payments: receiver.escalation_policy_id: no escalation policy 'payments-oncall' in the folder",
        "payments: routes.0.active_windows.0: no mute window 'office-hours' in the folder",
    ]


WINDOW_YAML = "  - {mute_window_id: nights, name: Nights, time_zone: UTC, times: [{start: '22:00', end: '06:00'}]}\n"


# -- the plan -------------------------------------------------------------------------------------

ROUTE_ITEM = StoredRoute.model_validate(
    {
        "route_id": "payments",
        "name": "Payments",
        "receiver": {"channels": ["payments-slack"], "escalation_policy_id": "payments-oncall"},
        "routes": [{"receiver": {"channels": ["pager"]}, "mute_windows": ["nights"]}],
    }
)
POLICY_ITEM = EscalationPolicy.model_validate(
    {
        "policy_id": "payments-oncall",
        "name": "Payments",
        "levels": [{"targets": [{"channel": "pager"}], "escalate_after_seconds": 900}],
        "created_at": NOW,
        "updated_at": NOW,
    }
)
NIGHTS = MuteWindow.model_validate(
    {
        "mute_window_id": "nights",
        "name": "Nights",
        "time_zone": "UTC",
        "times": [{"start": "22:00", "end": "06:00"}],
        "created_at": NOW,
        "updated_at": NOW,
    }
)
CHANNELS = frozenset({"payments-slack", "pager"})


def stored(item: StoredRoute, version: int = 1) -> StoredRoute:
    return item.model_copy(update={"version": version, "created_at": NOW, "updated_at": NOW})


def recorded(*items: tuple[str, str, object]) -> dict[tuple[str, str], Applied]:
    return {
        (kind, item_id): Applied(kind=kind, item_id=item_id, version=1, digest=content_digest(i), applied_at=NOW)
        for kind, item_id, i in items
    }


def test_the_plan_shows_a_route_created_then_the_fields_a_change_makes():
    declared = {ROUTE.name: [ROUTE_ITEM], POLICY.name: [POLICY_ITEM], MUTE_WINDOW.name: [NIGHTS]}
    created = plan(declared, Table({}, CHANNELS, {}))
    assert created.ok and created.render().splitlines()[:3] == [
        "  + escalation policy payments-oncall",
        "  + mute window nights",
        "  + route payments",
    ]

    current = stored(ROUTE_ITEM)
    items = {
        ROUTE.name: {"payments": current},
        POLICY.name: {"payments-oncall": POLICY_ITEM},
        MUTE_WINDOW.name: {"nights": NIGHTS},
    }
    records = recorded(
        (ROUTE.name, "payments", current),
        (POLICY.name, "payments-oncall", POLICY_ITEM),
        (MUTE_WINDOW.name, "nights", NIGHTS),
    )
    moved = ROUTE_ITEM.model_copy(update={"position": 3, "continue_": True})
    changed = plan({**declared, ROUTE.name: [moved]}, Table(items, CHANNELS, records))
    assert changed.ok and changed.render().splitlines() == [
        "  ~ route payments: continue, position",
        "Plan: 0 to create, 1 to update, 0 to delete, 2 unchanged.",
    ]


def test_the_plan_refuses_a_route_naming_a_channel_that_will_not_exist_and_a_prune_it_would_break():
    declared = {ROUTE.name: [ROUTE_ITEM], POLICY.name: [POLICY_ITEM], MUTE_WINDOW.name: [NIGHTS]}
    refused = plan(declared, Table({}, frozenset({"payments-slack"}), {}))
    assert [str(p) for p in refused.problems] == [
        "escalation policy payments-oncall: levels.0.targets.0.channel: no channel 'pager'",
        "route payments: routes.0.receiver.channels.0: no channel 'pager'",
    ]

    by_hand = stored(ROUTE_ITEM)  # made through the API: not pruned, but it keeps what it names
    items = {
        ROUTE.name: {"payments": by_hand},
        POLICY.name: {"payments-oncall": POLICY_ITEM},
        MUTE_WINDOW.name: {"nights": NIGHTS},
    }
    records = recorded((POLICY.name, "payments-oncall", POLICY_ITEM), (MUTE_WINDOW.name, "nights", NIGHTS))
    pruning = plan({}, Table(items, CHANNELS, records), prune=True)
    assert [str(p) for p in pruning.problems] == [
        "escalation policy payments-oncall: -: is used by route payments: cannot be deleted",
        "mute window nights: -: is used by route payments: cannot be deleted",
    ]
