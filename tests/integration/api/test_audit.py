"""The audit log through the handler: every write of the API is an entry (actor as signed, time,
action, `<kind>/<id>`, what changed), never with a secret; GET /audit newest first, filtered and
paged; a body's `by` is a note; GET /me says who signed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from alerting.models.common import iso
from tests.integration.api.client import ONCALL
from tests.integration.api.test_rules import spec as rule_spec

SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXXSECRET"


def _entries(api, **query):
    reply = api.get("/audit", query)
    assert reply.status == 200, reply.body
    return reply.body["items"]


def test_every_kind_of_write_is_audited_newest_first_with_who_signed(api, store):
    rule = api.post("/rules", rule_spec(rule_id="cpu")).body
    api.put("/rules/cpu", {**rule, "name": "CPU high"})
    api.post("/channels", {"channel_id": "ops", "name": "Ops", "type": "slack", "target": {"webhook_url": SLACK_URL}})
    api.delete("/channels/ops")
    alert = store.fire()
    api.post(f"/alerts/{alert.alert_id}/ack", {"note": "on it"})
    api.post(f"/alerts/{alert.alert_id}/resolve", {})

    entries = _entries(api)

    assert [(e["action"], e["resource"]) for e in entries] == [
        ("resolve", f"alert/{alert.alert_id}"),
        ("ack", f"alert/{alert.alert_id}"),
        ("delete", "channel/ops"),
        ("create", "channel/ops"),
        ("update", "rule/cpu"),
        ("create", "rule/cpu"),
    ]
    assert {e["actor"] for e in entries} == {ONCALL}
    assert entries[0]["change"] == {"status": "resolved"}
    assert entries[4]["change"] == {"name": {"from": rule["name"], "to": "CPU high"}}
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)


def test_a_channels_secret_and_an_integrations_key_never_reach_the_log(api):
    api.post("/channels", {"channel_id": "ops", "name": "Ops", "type": "slack", "target": {"webhook_url": SLACK_URL}})
    created = api.post("/integrations", {"integration_id": "prom", "name": "Prometheus", "type": "alertmanager"})
    rotated = api.post("/integrations/prom/rotate")
    assert created.status == rotated.status == 201, (created.body, rotated.body)

    text = json.dumps(_entries(api))

    assert "XXXXSECRET" not in text
    assert created.body["key"] not in text and rotated.body["key"] not in text
    assert [e["action"] for e in _entries(api, resource="integration")] == ["rotate", "create"]


def test_a_bodys_by_is_a_note_in_history_and_audit_not_the_actor(api, store):
    alert = store.fire()

    reply = api.post(f"/alerts/{alert.alert_id}/ack", {"by": "mallory", "note": "mine"})

    assert reply.body["acknowledged_by"] == ONCALL
    history = api.get(f"/alerts/{alert.alert_id}/history").body["items"]
    assert (history[-1]["actor"], history[-1]["note"]) == (ONCALL, "(by: mallory) mine")
    assert (_entries(api)[0]["actor"], _entries(api)[0]["note"]) == (ONCALL, "(by: mallory) mine")


def test_a_silence_is_created_by_who_signed_its_body_saying_otherwise_is_a_note(api):
    ends = iso(datetime.now(UTC) + timedelta(hours=1))
    body = {"matchers": [{"label": "service", "op": "=", "value": "pay"}], "ends_at": ends, "created_by": "mallory"}

    created = api.post("/silences", body).body
    api.delete(f"/silences/{created['silence_id']}")

    assert created["created_by"] == ONCALL
    assert [(e["action"], e["note"]) for e in _entries(api, resource="silence")] == [
        ("expire", ""),
        ("create", "(by: mallory)"),
    ]


def test_audit_filters_by_actor_resource_and_time_and_pages(api):
    for n in range(5):
        api.post("/rules", rule_spec(rule_id=f"r{n}"))

    assert _entries(api, actor="someone-else") == []
    assert [e["resource"] for e in _entries(api, resource="rule/r3")] == ["rule/r3"]
    assert _entries(api, since=iso(datetime.now(UTC) + timedelta(minutes=1))) == []
    first = api.get("/audit", {"limit": "2"}).body
    second = api.get("/audit", {"limit": "2", "next_token": first["next_token"]}).body
    third = api.get("/audit", {"limit": "2", "next_token": second["next_token"]}).body
    pages = [e["resource"] for page in (first, second, third) for e in page["items"]]
    assert pages == [f"rule/r{n}" for n in (4, 3, 2, 1, 0)]
    assert api.get("/audit", {"next_token": "bogus"}).status == 400


def test_audit_entries_expire_after_400_days(api, store):
    api.post("/rules", rule_spec(rule_id="cpu"))
    dynamodb = store.aws.client("dynamodb")
    table = store.aws.env("ApiFunction")["ALERT_LOG_TABLE"]
    month = datetime.now(UTC).strftime("%Y-%m")
    items = dynamodb.query(
        TableName=table,
        KeyConditionExpression="alert_id = :p",
        ExpressionAttributeValues={":p": {"S": f"audit#{month}"}},
    )["Items"]
    expires = datetime.fromtimestamp(int(items[0]["expires_at"]["N"]), UTC)
    assert timedelta(days=399) < expires - datetime.now(UTC) <= timedelta(days=400)


def test_me_is_who_signed_and_no_dashboard_role(api):
    assert api.get("/me").body == {"actor": ONCALL, "role": None}
