"""/heartbeats through the handler: CRUD, the key shown once and kept as a hash, rotation, and
the alert of a heartbeat disabled, enabled again or deleted."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest

from alerting import wiring
from alerting.lifecycle import AlertLifecycle
from alerting.models.common import AlertStatus, parse_time
from alerting.models.integrations import key_hash
from alerting.repositories.alerts import AlertFilter
from alerting.repositories.heartbeats import HeartbeatRepository
from alerting.repositories.keys import KeyOwner
from alerting.settings import ApiSettings
from ingest.ping_service import Pings

SPEC: dict[str, Any] = {
    "heartbeat_id": "nightly-backup",
    "name": "Nightly backup",
    "period_seconds": 86_400,
    "grace_seconds": 3600,
    "labels": {"team": "data"},
    "severity": "critical",
}


@pytest.fixture
def heartbeats(aws) -> HeartbeatRepository:
    return wiring.heartbeats(ApiSettings.from_env())


def config_items(aws) -> list[dict[str, Any]]:
    table = aws.env("ApiFunction")["CONFIG_TABLE"]
    return aws.client("dynamodb").scan(TableName=table)["Items"]


def test_create_shows_the_key_once_and_keeps_only_its_hash(api, aws, heartbeats):
    created = api.post("/heartbeats", SPEC)
    assert created.status == 201
    key = created.body["key"]
    assert key.startswith("ak_") and created.body["key_hint"] == key[-4:]
    assert {k: created.body[k] for k in SPEC} == SPEC
    assert (created.body["version"], created.body["pings"], created.body["last_ping_at"]) == (1, 0, None)
    due = parse_time(created.body["due_at"]) - parse_time(created.body["created_at"])
    assert due == timedelta(days=1, hours=1)

    shown = {k: v for k, v in created.body.items() if k != "key"}
    assert api.get("/heartbeats/nightly-backup").body == shown
    assert api.get("/heartbeats").body == {"items": [shown], "next_token": None}
    assert "key_hash" not in shown and "key" not in shown
    assert key not in json.dumps(config_items(aws))  # only its hash is stored
    assert heartbeats.keys.owner(key_hash(key)) == KeyOwner("heartbeat", "nightly-backup")


def test_replace_keeps_the_key_and_the_pings_and_moves_the_due_time(api, heartbeats):
    created = api.post("/heartbeats", SPEC).body
    read = api.get("/heartbeats/nightly-backup").body
    replaced = api.put("/heartbeats/nightly-backup", {**read, "period_seconds": 3600, "grace_seconds": 0})
    assert (replaced.status, replaced.body["version"], replaced.body["key_hint"]) == (200, 2, created["key_hint"])
    due = parse_time(replaced.body["due_at"]) - parse_time(created["created_at"])
    assert due == timedelta(hours=1)
    assert api.put("/heartbeats/nightly-backup", read).status == 409  # the version read is stale
    assert heartbeats.keys.owner(key_hash(created["key"])) == KeyOwner("heartbeat", "nightly-backup")
    _, state = heartbeats.find("nightly-backup")
    assert state is not None and heartbeats.due(state.indexed) == ["nightly-backup"]  # type: ignore[arg-type]


def test_rotate_shows_a_new_key_once_and_the_old_one_stops_working(api, heartbeats):
    old = api.post("/heartbeats", SPEC).body["key"]
    rotated = api.post("/heartbeats/nightly-backup/rotate")
    assert rotated.status == 201
    new = rotated.body["key"]
    assert new != old and rotated.body["key_hint"] == new[-4:] and rotated.body["version"] == 2
    assert heartbeats.keys.owner(key_hash(old)) is None
    assert heartbeats.keys.owner(key_hash(new)) == KeyOwner("heartbeat", "nightly-backup")
    assert "key" not in api.get("/heartbeats/nightly-backup").body
    assert api.post("/heartbeats/nobody/rotate").status == 404


def test_delete_removes_the_heartbeat_its_key_and_its_pings(api, aws, heartbeats):
    key = api.post("/heartbeats", SPEC).body["key"]
    assert api.delete("/heartbeats/nightly-backup").status == 204
    assert api.get("/heartbeats/nightly-backup").status == 404
    assert api.delete("/heartbeats/nightly-backup").status == 404
    assert heartbeats.keys.owner(key_hash(key)) is None
    assert heartbeats.find("nightly-backup") == (None, None)
    left = {item["pk"]["S"] for item in config_items(aws)}
    assert not left & {"heartbeat", "heartbeat-state", "key"}  # its due entry expires (TTL)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"period_seconds": 59}, "period_seconds"),
        ({"period_seconds": "60"}, "period_seconds"),
        ({"grace_seconds": -1}, "grace_seconds"),
        ({"labels": {"bad-name": "x"}}, "labels"),
        ({"key_hash": "0" * 64}, "key_hash"),
    ],
)
def test_a_heartbeat_that_cannot_be_is_refused_naming_the_field(api, change, field):
    reply = api.post("/heartbeats", {**SPEC, **change})
    assert reply.status == 422
    assert field in [e["field"] for e in reply.body["errors"]]


def alerts_of(aws) -> list[Any]:
    return wiring.alerts(ApiSettings.from_env()).page(AlertFilter(), 10, None).items


def test_disabling_resolves_its_alert_and_enabling_counts_from_then(api, aws, heartbeats):
    api.post("/heartbeats", SPEC)
    settings = ApiSettings.from_env()
    pings = Pings(heartbeats, AlertLifecycle(wiring.alerts(settings), wiring.states(settings)))
    pings.record(
        heartbeats.get("nightly-backup"), parse_time(api.get("/heartbeats/nightly-backup").body["created_at"]), "boom"
    )
    (alert,) = alerts_of(aws)
    assert alert.status == AlertStatus.firing

    read = api.get("/heartbeats/nightly-backup").body
    assert read["down_since"] is not None and read["due_at"] is None
    disabled = api.put("/heartbeats/nightly-backup", {**read, "enabled": False}).body
    assert alerts_of(aws)[0].status == AlertStatus.resolved
    assert alerts_of(aws)[0].last_transition.reason == "heartbeat disabled"

    enabled = api.put("/heartbeats/nightly-backup", {**disabled, "enabled": True}).body
    assert (enabled["down_since"], enabled["pings"]) == (None, 1)
    assert parse_time(enabled["due_at"]) - parse_time(enabled["updated_at"]) == timedelta(days=1, hours=1)


def test_deleting_resolves_its_alert(api, aws, heartbeats):
    created = api.post("/heartbeats", SPEC).body
    settings = ApiSettings.from_env()
    pings = Pings(heartbeats, AlertLifecycle(wiring.alerts(settings), wiring.states(settings)))
    pings.record(heartbeats.get("nightly-backup"), parse_time(created["created_at"]), "")
    assert api.delete("/heartbeats/nightly-backup").status == 204
    (alert,) = alerts_of(aws)
    assert (alert.status, alert.last_transition.reason) == (AlertStatus.resolved, "heartbeat deleted")


@pytest.mark.parametrize("level", [logging.INFO, logging.DEBUG], ids=["info", "debug"])
def test_the_key_appears_in_no_later_response_and_no_log(api, api_log, capsys, caplog, level):
    caplog.set_level(level)
    created = api.post("/heartbeats", SPEC)
    rotated = api.post("/heartbeats/nightly-backup/rotate")
    later = [
        api.get("/heartbeats/nightly-backup"),
        api.get("/heartbeats"),
        api.put("/heartbeats/nightly-backup", {**api.get("/heartbeats/nightly-backup").body, "name": "Backup"}),
        api.post("/heartbeats/nightly-backup/rotate"),
        api.delete("/heartbeats/nightly-backup"),
    ]
    outputs = [r.text for r in later[:-2]] + [str(api_log()), capsys.readouterr().out, caplog.text]
    for key in (created.body["key"], rotated.body["key"], later[3].body["key"]):
        assert not [text for text in outputs if key in text]
