"""/silences through the handler: create, list by state, read, expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerting.models.common import iso

NOW = datetime.now(UTC)


def body(**overrides: object) -> dict[str, object]:
    return {
        "matchers": [{"label": "service", "op": "=~", "value": "pay.*"}],
        "ends_at": iso(NOW + timedelta(hours=1)),
        "created_by": "alice",
        "comment": "DB failover drill",
        **overrides,
    }


def test_silence_create_read_list_by_state_and_expire(api):
    active = api.post("/silences", body(silence_id="drill"))
    assert active.status == 201, active.body
    assert active.body["starts_at"] is not None  # now, when left out
    later = body(silence_id="later", starts_at=iso(NOW + timedelta(hours=2)), ends_at=iso(NOW + timedelta(hours=3)))
    assert api.post("/silences", later).status == 201

    def ids(state: str) -> list[str]:
        return [s["silence_id"] for s in api.get("/silences", {"state": state}).body["items"]]

    assert (ids("active"), ids("pending"), ids("expired")) == (["drill"], ["later"], [])

    assert api.delete("/silences/drill").status == 204
    assert api.delete("/silences/later").status == 204  # a pending one can be expired too
    assert (ids("active"), ids("pending"), sorted(ids("expired"))) == ([], [], ["drill", "later"])
    assert api.get("/silences/drill").body["comment"] == "DB failover drill"  # kept for the record
    assert api.delete("/silences/drill").status == 409  # an expired silence cannot change


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"matchers": []}, 422, "matchers"),
        ({"matchers": [{"label": "service", "op": "=~", "value": "pay("}]}, 422, "matchers.0.value"),
        ({"matchers": [{"label": "service", "op": "!~", "value": "(p)\\1"}]}, 422, "matchers.0.value"),  # RE2 refuses
        ({"matchers": [{"label": "service", "op": "~", "value": "x"}]}, 422, "matchers.0.op"),
        # every matcher matches the empty string: it would silence every alert without a team
        ({"matchers": [{"label": "team", "value": ""}]}, 422, "matchers"),
        (
            {"matchers": [{"label": "team", "value": ""}, {"label": "service", "op": "=~", "value": ".*"}]},
            422,
            "matchers",
        ),
        ({"ends_at": iso(NOW - timedelta(minutes=1))}, 400, "ends_at"),
    ],
)
def test_silence_invalid_names_the_field(api, overrides, status, field):
    reply = api.post("/silences", body(**overrides))
    assert (reply.status, reply.body["errors"][0]["field"]) == (status, field)


def test_a_negative_matcher_alone_is_a_valid_silence(api):
    reply = api.post("/silences", body(matchers=[{"label": "severity", "op": "!=", "value": "critical"}]))
    assert reply.status == 201, reply.body  # as Alertmanager: only `=` and `=~` count as matching ""


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_silence_asked_to_start_in_the_past_starts_now(api):
    before = datetime.now(UTC).replace(microsecond=0)
    reply = api.post("/silences", body(silence_id="late", starts_at=iso(NOW - timedelta(hours=1))))
    assert reply.status == 201, reply.body
    assert before <= parse(reply.body["starts_at"]) <= datetime.now(UTC)
    assert api.get("/silences/late").body["starts_at"] == reply.body["starts_at"]  # stored so


def test_a_pending_silence_expired_starts_and_ends_at_once(api):
    later = body(silence_id="later", starts_at=iso(NOW + timedelta(hours=2)), ends_at=iso(NOW + timedelta(hours=3)))
    assert api.post("/silences", later).status == 201
    assert api.delete("/silences/later").status == 204
    ended = api.get("/silences/later").body
    # it never began, so it covered nothing (and its end announces nothing)
    assert ended["starts_at"] == ended["ends_at"]
    assert [s["silence_id"] for s in api.get("/silences", {"state": "expired"}).body["items"]] == ["later"]


def test_a_silence_is_kept_a_week_after_it_ends_then_the_table_may_delete_it(api, aws):
    reply = api.post("/silences", body(silence_id="drill"))
    ends = datetime.fromisoformat(reply.body["ends_at"].replace("Z", "+00:00"))
    item = aws.client("dynamodb").get_item(
        TableName=aws.env("ApiFunction")["CONFIG_TABLE"], Key={"pk": {"S": "silence"}, "sk": {"S": "drill"}}
    )["Item"]
    assert int(item["expires_at"]["N"]) == int((ends + timedelta(days=7)).timestamp())
    assert api.get("/silences/drill").status == 200  # the attribute is the table's, not the silence's


def test_past_the_silence_limit_a_create_is_a_409_naming_it(api, monkeypatch):
    monkeypatch.setenv("MAX_SILENCES", "2")
    assert api.post("/silences", body(silence_id="a")).status == 201
    assert api.post("/silences", body(silence_id="b", starts_at=iso(NOW + timedelta(minutes=30)))).status == 201
    refused = api.post("/silences", body(silence_id="c"))
    assert refused.status == 409
    message = refused.body["message"]
    assert "MaxSilences" in message and "at most 2 active or pending silences" in message
    assert api.get("/silences/c").status == 404  # nothing stored
    assert api.delete("/silences/a").status == 204  # an expired one no longer counts
    assert api.post("/silences", body(silence_id="c")).status == 201


def test_expired_silences_count_against_twice_the_limit(api, monkeypatch):
    """Create-then-expire, repeated, would otherwise grow what every tick reads without bound."""
    monkeypatch.setenv("MAX_SILENCES", "1")
    for name in ("a", "b"):
        assert api.post("/silences", body(silence_id=name)).status == 201
        assert api.delete(f"/silences/{name}").status == 204
    refused = api.post("/silences", body(silence_id="c"))
    assert refused.status == 409 and "expired in the last week included" in refused.body["message"]
