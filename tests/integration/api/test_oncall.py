"""/schedules (and who is on call), /mute-windows and /inhibitions through the handler: CRUD,
validation naming the field, references that must exist, and 409 while something refers."""

from __future__ import annotations

from typing import Any

import pytest

SCHEDULE: dict[str, Any] = {
    "schedule_id": "primary",
    "name": "Payments primary",
    "time_zone": "Europe/Berlin",
    "rotation": {
        "participants": ["alice-sms", "bob-sms"],
        "starts_at": "2026-12-07T09:00:00",
        "shift": {"every": 1, "unit": "weeks"},
    },
    "overrides": [
        {"participant": "bob-sms", "starts_at": "2026-12-24T18:00:00+01:00", "ends_at": "2026-12-27T09:00:00+01:00"}
    ],
}
WINDOW: dict[str, Any] = {
    "mute_window_id": "sunday",
    "name": "Sunday maintenance",
    "time_zone": "America/New_York",
    "matchers": [{"label": "service", "op": "=~", "value": "pay.*"}],
    "times": [{"weekdays": ["sun"], "start": "02:00", "end": "05:00"}],
}
INHIBITION: dict[str, Any] = {
    "inhibition_id": "region-down",
    "source": [{"label": "severity", "value": "critical"}],
    "target": [{"label": "severity", "op": "!=", "value": "critical"}],
    "equal": ["region"],
}


@pytest.fixture
def people(api) -> None:
    for person, number in (("alice-sms", "+4915112345678"), ("bob-sms", "+4915187654321")):
        body = {"channel_id": person, "name": person, "type": "sms", "target": {"phone_number": number}}
        reply = api.post("/channels", body)
        assert reply.status == 201, reply.body


def test_schedule_crud_and_who_is_on_call(api, people):
    created = api.post("/schedules", SCHEDULE)
    assert (created.status, created.body["version"]) == (201, 1)
    assert api.get("/schedules/primary").body == created.body

    week_two = api.get("/schedules/primary/oncall", {"at": "2026-12-15T10:00:00+01:00"}).body
    assert week_two == {
        "schedule_id": "primary",
        "at": "2026-12-15T09:00:00Z",
        "participant": "bob-sms",
        "from": "2026-12-14T08:00:00Z",
        "until": "2026-12-21T08:00:00Z",
        "override": False,
    }
    christmas = api.get("/schedules/primary/oncall", {"at": "2026-12-25T12:00:00Z"}).body
    assert (christmas["participant"], christmas["override"], christmas["until"]) == (
        "bob-sms",
        True,
        "2026-12-27T08:00:00Z",
    )
    assert api.get("/schedules/primary/oncall", {"at": "soon"}).status == 422
    assert api.get("/schedules/nobody/oncall").status == 404

    changed = {**created.body, "rotation": {**SCHEDULE["rotation"], "participants": ["bob-sms"]}}
    assert api.put("/schedules/primary", changed).body["version"] == 2
    assert api.put("/schedules/primary", changed).status == 409  # stale version
    assert [s["schedule_id"] for s in api.get("/schedules").body["items"]] == ["primary"]
    assert api.delete("/schedules/primary").status == 204
    assert api.get("/schedules/primary").status == 404


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"time_zone": "Europe/Atlantis"}, 422, "time_zone"),
        ({"rotation": {"participants": [], "starts_at": "2026-12-07T09:00:00"}}, 422, "rotation.participants"),
        ({"rotation": {**SCHEDULE["rotation"], "shift": {"every": 1, "unit": "months"}}}, 422, "rotation.shift.unit"),
        (
            {"rotation": {**SCHEDULE["rotation"], "participants": ["alice-sms", "carol-sms"]}},
            400,
            "rotation.participants.1",
        ),
        ({"overrides": [{**SCHEDULE["overrides"][0], "participant": "carol-sms"}]}, 400, "overrides.0.participant"),
        ({"overrides": [{**SCHEDULE["overrides"][0], "ends_at": "2026-12-01T00:00:00Z"}]}, 422, "overrides.0"),
    ],
)
def test_schedule_invalid_names_the_field(api, people, change, status, field):
    reply = api.post("/schedules", {**SCHEDULE, **change})
    assert (reply.status, [e["field"] for e in reply.body["errors"]]) == (status, [field])


def test_a_policy_pages_a_schedule_which_then_cannot_go_nor_its_people(api, people):
    assert api.post("/schedules", SCHEDULE).status == 201
    policy = {
        "policy_id": "pay",
        "name": "Pay",
        "levels": [{"targets": [{"schedule": "primary"}], "escalate_after_seconds": 900}],
    }
    assert (
        api.post(
            "/escalation-policies",
            {**policy, "levels": [{"targets": [{"schedule": "nope"}], "escalate_after_seconds": 900}]},
        ).body["errors"][0]["field"]
        == "levels.0.targets.0.schedule"
    )
    both = {"targets": [{"schedule": "primary", "channel": "alice-sms"}], "escalate_after_seconds": 900}
    assert api.post("/escalation-policies", {**policy, "levels": [both]}).status == 422
    assert api.post("/escalation-policies", policy).status == 201

    refused = api.delete("/schedules/primary")
    assert refused.status == 409 and "escalation policy pay" in refused.body["message"]
    refused = api.delete("/channels/alice-sms")
    assert refused.status == 409 and "schedule primary" in refused.body["message"]


def test_sms_channels_need_an_e164_number(api):
    reply = api.post("/channels", {"name": "x", "type": "sms", "target": {"phone_number": "0151 1234"}})
    assert (reply.status, reply.body["errors"][0]["field"]) == (422, "target.phone_number")


def test_mute_window_crud_and_validation(api):
    created = api.post("/mute-windows", WINDOW)
    assert (created.status, created.body["enabled"]) == (201, True)
    disabled = api.put("/mute-windows/sunday", {**created.body, "enabled": False})
    assert (disabled.status, disabled.body["version"], disabled.body["enabled"]) == (200, 2, False)
    for change, field in (
        ({"times": [{"weekdays": ["sunday"], "start": "02:00", "end": "05:00"}]}, "times.0.weekdays.0"),
        ({"times": [{"start": "2am", "end": "05:00"}]}, "times.0.start"),
        ({"times": []}, "times"),
        ({"time_zone": "EST5EDT?"}, "time_zone"),
        ({"matchers": [{"label": "service", "op": "=~", "value": "("}]}, "matchers.0.value"),
    ):
        reply = api.post("/mute-windows", {**WINDOW, "mute_window_id": "other", **change})
        assert (reply.status, reply.body["errors"][0]["field"]) == (422, field), change
    assert [w["mute_window_id"] for w in api.get("/mute-windows").body["items"]] == ["sunday"]
    assert api.delete("/mute-windows/sunday").status == 204
    assert api.delete("/mute-windows/sunday").status == 404


def test_inhibition_crud_and_validation(api):
    created = api.post("/inhibitions", INHIBITION)
    assert (created.status, created.body["equal"]) == (201, ["region"])
    assert api.get("/inhibitions/region-down").body == created.body
    assert api.post("/inhibitions", INHIBITION).status == 409  # the id is taken
    reply = api.post("/inhibitions", {**INHIBITION, "inhibition_id": "x", "source": []})
    assert (reply.status, reply.body["errors"][0]["field"]) == (422, "source")
    updated = api.put("/inhibitions/region-down", {**created.body, "equal": []}, headers={"If-Match": '"1"'})
    assert (updated.status, updated.body["equal"]) == (200, [])
    assert api.delete("/inhibitions/region-down").status == 204


@pytest.mark.parametrize(
    ("path", "resource", "variable", "parameter"),
    [
        ("/mute-windows", WINDOW, "MAX_MUTE_WINDOWS", "MaxMuteWindows"),
        ("/inhibitions", INHIBITION, "MAX_INHIBITIONS", "MaxInhibitions"),
    ],
)
def test_past_a_quieting_limit_a_create_is_a_409_naming_it(api, monkeypatch, path, resource, variable, parameter):
    monkeypatch.setenv(variable, "1")
    id_field = "mute_window_id" if path == "/mute-windows" else "inhibition_id"
    assert api.post(path, {**resource, id_field: "first"}).status == 201
    refused = api.post(path, {**resource, id_field: "second"})
    assert (refused.status, parameter in refused.body["message"]) == (409, True)
    assert api.get(f"{path}/second").status == 404
    assert api.delete(f"{path}/first").status == 204
    assert api.post(path, {**resource, id_field: "second"}).status == 201
