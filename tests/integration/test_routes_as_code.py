"""Routes as code against the config table on moto, the API beside it: `make rules-plan` shows
what a route change does, `make rules-apply` writes it, and a route naming what will not exist is
refused with the field and message the API answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_rules_sync import add_channel, run, write

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
ROUTE: dict[str, Any] = {
    "route_id": "payments",
    "name": "Payments",
    "matchers": [{"label": "team", "value": "payments"}],
    "receiver": {"channels": ["payments-slack"], "escalation_policy_id": "payments-oncall"},
    "routes": [{"matchers": [{"label": "severity", "value": "critical"}], "receiver": {"channels": ["pager"]}}],
    "mute_windows": ["nights"],
}


@pytest.fixture
def table(aws: Any) -> str:
    name: str = aws.env("ApiFunction")["CONFIG_TABLE"]
    return name


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "rules").mkdir()
    return tmp_path / "rules"


def test_plan_shows_routes_apply_writes_them_and_the_api_reads_them(api, table, folder, capsys):
    for channel_id in ("payments-slack", "pager"):
        add_channel(api, channel_id)
    sections = {"escalation_policies": [POLICY], "mute_windows": [NIGHTS], "routes": [ROUTE]}

    code, out = run(capsys, "apply", write(folder, **sections), table)

    assert code == 0, out
    assert "  + route payments\n" in out and "Applied: 3 created, 0 updated, 0 deleted." in out
    stored = api.get("/routes/payments").body
    assert (stored["version"], stored["continue"], stored["routes"][0]["receiver"]) == (
        1,
        False,
        {"channels": ["pager"], "escalation_policy_id": None},
    )
    assert api.get("/routes/test", query={"team": "payments"}).body["escalation_policy_id"] == "payments-oncall"

    moved = {**ROUTE, "continue": True, "position": 2}
    code, out = run(capsys, "plan", write(folder, **{**sections, "routes": [moved]}), table)
    assert (code, out.splitlines()[1:]) == (
        0,
        ["  ~ route payments: continue, position", "Plan: 0 to create, 1 to update, 0 to delete, 2 unchanged."],
    )


def test_plan_refuses_a_route_naming_a_missing_channel_as_the_api_does(api, table, folder, capsys):
    add_channel(api, "payments-slack")
    route = {**ROUTE, "mute_windows": [], "receiver": {"channels": ["payments-slack"]}}
    refused = api.post("/routes", route)
    (error,) = refused.body["errors"]
    assert (refused.status, error["field"]) == (400, "routes.0.receiver.channels.0")

    code, out = run(capsys, "apply", write(folder, routes=[route]), table)

    assert code == 1
    assert f"route payments: {error['field']}: {error['message']}\n" in out
    assert "Nothing applied." in out and api.get("/routes/payments").status == 404
