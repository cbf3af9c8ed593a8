"""/escalation-policies through the handler, rules that use them, and ack with expiry / unack."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api.client import ONCALL
from tests.integration.api.conftest import minutes_ago
from tests.integration.api.test_rules import spec as rule_spec

POLICY: dict[str, Any] = {
    "policy_id": "payments",
    "name": "Payments on-call",
    "levels": [
        {"targets": [{"channel": "ops"}], "escalate_after_seconds": 900},
        {"targets": [{"channel": "boss"}], "escalate_after_seconds": 1800},
    ],
    "repeat": 1,
}


def level(channel: str, after: int) -> dict[str, Any]:
    return {"targets": [{"channel": channel}], "escalate_after_seconds": after}


@pytest.fixture
def channels(api) -> None:
    for channel_id in ("ops", "boss"):
        body = {"channel_id": channel_id, "name": channel_id, "type": "email", "target": {"to": ["a@example.com"]}}
        assert api.post("/channels", body).status == 201


def test_policy_create_get_update_list_delete(api, channels):
    created = api.post("/escalation-policies", POLICY)
    assert (created.status, created.body["version"], created.body["repeat"]) == (201, 1, 1)
    assert api.get("/escalation-policies/payments").body == created.body

    changed = {**created.body, "repeat": 2}
    updated = api.put("/escalation-policies/payments", changed)
    assert (updated.status, updated.body["version"], updated.body["repeat"]) == (200, 2, 2)
    assert api.put("/escalation-policies/payments", changed).status == 409  # stale version

    assert [p["policy_id"] for p in api.get("/escalation-policies").body["items"]] == ["payments"]
    assert api.delete("/escalation-policies/payments").status == 204
    assert api.get("/escalation-policies/payments").status == 404


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"levels": []}, 422, "levels"),
        ({"repeat": 10}, 422, "repeat"),
        (
            {"levels": [{"targets": [{"channel": "ops"}], "escalate_after_seconds": 30}]},
            422,
            "levels.0.escalate_after_seconds",
        ),
        (
            {"levels": [{"targets": [{"channel": "nobody"}], "escalate_after_seconds": 900}]},
            400,
            "levels.0.targets.0.channel",
        ),
    ],
)
def test_policy_invalid_names_the_field(api, channels, change, status, field):
    reply = api.post("/escalation-policies", {**POLICY, **change})
    assert (reply.status, [e["field"] for e in reply.body["errors"]]) == (status, [field])


def test_rule_needs_an_existing_policy_and_a_used_policy_or_channel_cannot_go(api, channels):
    reply = api.post("/rules", rule_spec(escalation_policy_id="payments"))
    assert (reply.status, reply.body["errors"][0]["field"]) == (400, "escalation_policy_id")

    api.post("/escalation-policies", POLICY)
    assert api.post("/rules", rule_spec(rule_id="pay", escalation_policy_id="payments")).status == 201

    refused = api.delete("/escalation-policies/payments")
    assert refused.status == 409 and "pay" in refused.body["message"]
    refused = api.delete("/channels/boss")
    assert refused.status == 409 and "escalation policy payments" in refused.body["message"]


def test_ack_with_expiry_then_unack_by_hand(api, store):
    alert = store.fire(at=minutes_ago(10))

    acked = api.post(f"/alerts/{alert.alert_id}/ack", {"by": "alice", "expires_in_seconds": 1800})
    assert (acked.status, acked.body["status"]) == (200, "acknowledged")
    assert acked.body["ack_expires_at"] is not None

    back = api.post(f"/alerts/{alert.alert_id}/unack", {"by": "bob", "note": "not fixed"})
    assert (back.status, back.body["status"], back.body["acknowledged_by"]) == (200, "firing", None)
    assert api.post(f"/alerts/{alert.alert_id}/unack", {"by": "bob"}).status == 409  # not acknowledged

    history = api.get(f"/alerts/{alert.alert_id}/history").body["items"]
    assert [(t["event"], t["actor"]) for t in history] == [
        ("firing", "evaluator"),
        ("acknowledged", ONCALL),  # who signed, not the body's `by`
        ("unacknowledged", ONCALL),
    ]


def test_ack_expiry_out_of_range_is_422(api, store):
    alert = store.fire(at=minutes_ago(10))
    reply = api.post(f"/alerts/{alert.alert_id}/ack", {"by": "alice", "expires_in_seconds": 5})
    assert (reply.status, reply.body["errors"][0]["field"]) == (422, "expires_in_seconds")
