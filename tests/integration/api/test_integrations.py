"""/integrations through the handler: a keyed type's key is shown once (the 201 of its creation
or rotation), kept only as its hash beside the integration, and never in a later read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alerting.models.integrations import key_hash
from alerting.repositories.keys import KeyOwner, KeyStore

PROMETHEUS: dict[str, Any] = {
    "integration_id": "prom",
    "name": "Prometheus",
    "type": "alertmanager",
    "labels": {"team": "payments"},
    "severity": "critical",
}


def keys(aws: Any) -> KeyStore:
    return KeyStore(aws.client("dynamodb"), aws.env("ApiFunction")["CONFIG_TABLE"])


def config_items(aws: Any) -> str:
    """Every item of the config table, as text: where a key must never be."""
    table = aws.env("ApiFunction")["CONFIG_TABLE"]
    return json.dumps(aws.client("dynamodb").scan(TableName=table)["Items"])


def test_a_keyed_integration_shows_its_key_once_and_only_a_hint_of_it_after(api: Any, aws: Any) -> None:
    created = api.post("/integrations", PROMETHEUS)

    assert created.status == 201
    key = created.body["key"]
    assert key.startswith("ak_") and len(key) > 40
    assert created.body["key_hint"] == key[-4:]
    assert "key_hash" not in created.body
    later = [api.get("/integrations/prom"), api.get("/integrations")]
    later.append(api.put("/integrations/prom", {**later[0].body, "name": "Prometheus (prod)"}))
    for reply in later:
        assert reply.status == 200, reply.body
        assert key not in reply.text and '"key"' not in reply.text and "key_hash" not in reply.text
    assert later[0].body == {k: v for k, v in created.body.items() if k != "key"}
    assert later[2].body["key_hint"] == key[-4:]  # an edit keeps the key


def test_the_key_is_stored_only_as_its_hash_in_the_integrations_own_write(api: Any, aws: Any) -> None:
    key = api.post("/integrations", PROMETHEUS).body["key"]

    assert keys(aws).owner(key_hash(key)) == KeyOwner("integration", "prom")
    assert key not in config_items(aws)


def test_rotating_shows_a_new_key_once_and_retires_the_old_at_once(api: Any, aws: Any) -> None:
    old = api.post("/integrations", PROMETHEUS).body["key"]

    rotated = api.post("/integrations/prom/rotate")

    assert rotated.status == 201
    new = rotated.body["key"]
    assert new != old and rotated.body["version"] == 2 and rotated.body["key_hint"] == new[-4:]
    assert keys(aws).owner(key_hash(old)) is None
    assert keys(aws).owner(key_hash(new)) == KeyOwner("integration", "prom")
    assert new not in api.get("/integrations/prom").text


def test_deleting_an_integration_deletes_its_key(api: Any, aws: Any) -> None:
    key = api.post("/integrations", PROMETHEUS).body["key"]

    assert api.delete("/integrations/prom").status == 204

    assert keys(aws).owner(key_hash(key)) is None
    assert api.get("/integrations/prom").status == 404
    assert "prom" not in config_items(aws).replace("generation#", "")


def test_a_cloudwatch_integration_has_no_key_to_show_or_rotate(api: Any) -> None:
    body = {"integration_id": "alarms", "name": "Alarms", "type": "cloudwatch", "insufficient_data": "alert"}

    created = api.post("/integrations", body)
    rotated = api.post("/integrations/alarms/rotate")

    assert (created.status, created.body["key"], created.body["key_hint"]) == (201, None, None)
    assert rotated.status == 409 and "has no key" in rotated.body["message"]


def test_an_integration_keeps_its_type(api: Any) -> None:
    api.post("/integrations", PROMETHEUS)
    current = api.get("/integrations/prom").body

    changed = api.put("/integrations/prom", {**current, "type": "events"})

    assert changed.status == 400
    assert [e["field"] for e in changed.body["errors"]] == ["type"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**PROMETHEUS, "type": "smoke-signals"}, "type"),
        ({**PROMETHEUS, "labels": {"bad-name": "x"}}, "labels"),
        ({**PROMETHEUS, "key": "ak_mine"}, "key"),  # a key is made, never given
        ({**PROMETHEUS, "key_hash": "0" * 64}, "key_hash"),
    ],
)
def test_an_invalid_integration_is_refused_naming_its_field(api: Any, body: dict[str, Any], field: str) -> None:
    refused = api.post("/integrations", body)

    assert refused.status == 422
    assert field in {e["field"].split(".")[0] for e in refused.body["errors"]}


def test_a_taken_id_is_a_409_that_writes_no_second_key(api: Any, aws: Any) -> None:
    api.post("/integrations", PROMETHEUS)
    before = config_items(aws)

    assert api.post("/integrations", PROMETHEUS).status == 409
    assert config_items(aws).count('"key"') == before.count('"key"')


def test_rotating_or_deleting_what_is_not_there_is_a_404(api: Any) -> None:
    assert api.post("/integrations/ghost/rotate").status == 404
    assert api.delete("/integrations/ghost").status == 404
