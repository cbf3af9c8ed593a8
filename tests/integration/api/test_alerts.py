"""/alerts through the handler: list and filters, history, deliveries, acknowledge, resolve."""

from __future__ import annotations

import pytest

from alerting.models.channels import ChannelType, DeliveryRecord, DeliveryStatus
from alerting.models.common import AlertEvent, iso, utcnow
from tests.factories import make_rule, rule_data
from tests.integration.api.client import ONCALL
from tests.integration.api.conftest import minutes_ago


def test_get_alert_and_its_history(api, store):
    alert = store.fire()

    assert api.get(f"/alerts/{alert.alert_id}").body == alert.model_dump(mode="json")
    history = api.get(f"/alerts/{alert.alert_id}/history").body
    assert [t["event"] for t in history["items"]] == ["firing"]
    assert history["next_token"] is None


def test_unknown_alert_is_404_everywhere(api):
    for path in ("/alerts/nope", "/alerts/nope/history", "/alerts/nope/deliveries"):
        assert api.get(path).status == 404
    for action in ("ack", "resolve"):
        assert api.post(f"/alerts/nope/{action}", {"by": "alice"}).status == 404


def test_deliveries_lists_the_notifier_records(api, store):
    alert = store.fire()
    now = utcnow()
    store.alerts.save_delivery(
        DeliveryRecord(
            alert_id=alert.alert_id,
            seq=1,
            channel_id="ops",
            channel_type=ChannelType.slack,
            event=AlertEvent.firing,
            status=DeliveryStatus.delivered,
            attempts=1,
            http_status=200,
            created_at=now,
            updated_at=now,
        )
    )

    items = api.get(f"/alerts/{alert.alert_id}/deliveries").body["items"]

    assert [(d["channel_id"], d["status"], d["http_status"]) for d in items] == [("ops", "delivered", 200)]


def test_list_alerts_filters_by_status_severity_rule_and_time(api, store):
    cpu = store.fire(make_rule(rule_id="cpu", severity="high"), at=minutes_ago(30))
    mem = store.fire(
        make_rule(
            rule_id="mem",
            severity="low",
            conditions=[
                {
                    "metric": {"namespace": "App/Service", "name": "Memory", "dimensions": {"Service": "db"}},
                    "operator": "gte",
                    "threshold": 90,
                }
            ],
        ),
        at=minutes_ago(20),
    )
    api.post(f"/alerts/{mem.alert_id}/ack", {"by": "alice"})

    def ids(**query: str) -> list[str]:
        return [a["alert_id"] for a in api.get("/alerts", query).body["items"]]

    assert ids() == [mem.alert_id, cpu.alert_id]  # newest first
    assert ids(status="acknowledged") == [mem.alert_id]
    assert ids(severity="high") == [cpu.alert_id]
    assert ids(rule_id="cpu") == [cpu.alert_id]
    assert ids(status="firing", rule_id="mem") == []
    assert ids(since=iso(minutes_ago(25))) == [mem.alert_id]
    assert ids(until=iso(minutes_ago(25))) == [cpu.alert_id]


def test_list_alerts_pages_without_duplicates(api, store):
    fired = {store.fire(make_rule(rule_id=f"r{i}"), at=minutes_ago(10 + i)).alert_id for i in range(5)}
    seen, token = [], None
    while True:
        body = api.get("/alerts", {"limit": "2"} | ({"next_token": token} if token else {})).body
        seen += [a["alert_id"] for a in body["items"]]
        if not (token := body["next_token"]):
            break
    assert sorted(seen) == sorted(fired)


@pytest.mark.parametrize(
    "query", [{"status": "open"}, {"severity": "urgent"}, {"since": "yesterday"}, {"limit": "1000"}]
)
def test_list_alerts_bad_query_is_422(api, query):
    reply = api.get("/alerts", query)
    assert (reply.status, reply.body["errors"][0]["field"]) == (422, next(iter(query)))


def test_ack_returns_the_acknowledged_alert_and_records_the_transition(api, store):
    alert = store.fire()

    reply = api.post(f"/alerts/{alert.alert_id}/ack", {"by": "alice", "note": "looking"})

    assert reply.status == 200
    # the actor is who signed the request; the body's `by` is kept in the note
    assert (reply.body["status"], reply.body["acknowledged_by"], reply.body["version"]) == (
        "acknowledged",
        ONCALL,
        2,
    )
    history = store.alerts.history(alert.alert_id)
    assert [(t.event, t.actor, t.note) for t in history] == [
        ("firing", "evaluator", ""),
        ("acknowledged", ONCALL, "(by: alice) looking"),
    ]
    state = store.states.get(alert.rule_id, alert.fingerprint)
    assert state is not None and state.alert_id == alert.alert_id  # an ack leaves the series firing


def test_ack_twice_is_409(api, store):
    alert = store.fire()
    api.post(f"/alerts/{alert.alert_id}/ack", {"by": "alice"})
    reply = api.post(f"/alerts/{alert.alert_id}/ack", {"by": "bob"})
    assert reply.status == 409
    assert "only a firing alert can be acknowledged" in reply.body["message"]


def test_resolve_by_hand_ends_the_alert_and_clears_the_series(api, store):
    alert = store.fire()

    reply = api.post(f"/alerts/{alert.alert_id}/resolve", {"by": "alice", "note": "restarted"})

    assert reply.status == 200
    body = reply.body
    assert (body["status"], body["resolution"], body["resolved_by"]) == ("resolved", "manual", ONCALL)
    assert body["last_transition"]["reason"] == f"resolved by {ONCALL}"
    state = store.states.get(alert.rule_id, alert.fingerprint)
    assert state is not None
    assert (state.alert_id, state.history, state.status) == (None, "", "ok")
    assert state.last_resolved_at is not None


def test_resolved_alert_cannot_be_acked_or_resolved_again(api, store):
    alert = store.fire()
    api.post(f"/alerts/{alert.alert_id}/resolve", {"by": "alice"})
    assert api.post(f"/alerts/{alert.alert_id}/resolve", {"by": "alice"}).status == 409
    assert api.post(f"/alerts/{alert.alert_id}/ack", {"by": "alice"}).status == 409


def test_manual_resolve_keeps_a_series_that_moved_on(api, store):
    # Given an old alert whose series has since fired a newer one
    old = store.fire(at=minutes_ago(30))
    store.evaluator(10.0).run(minutes_ago(29))
    new = store.fire(at=minutes_ago(20))
    api.post(f"/alerts/{new.alert_id}/ack", {"by": "alice"})
    state_before = store.states.get(new.rule_id, new.fingerprint)

    # When the old (already auto-resolved) alert is resolved, nothing changes; the series is untouched
    assert api.post(f"/alerts/{old.alert_id}/resolve", {"by": "alice"}).status == 409
    assert store.states.get(new.rule_id, new.fingerprint) == state_before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"by": ""}, "by"),
        ({"by": "x" * 201}, "by"),
        ({"by": "a", "note": "x" * 2001}, "note"),
        ({"by": "a", "extra": 1}, "extra"),
    ],
)
def test_ack_body_is_validated(api, store, body, field):
    alert = store.fire()
    reply = api.post(f"/alerts/{alert.alert_id}/ack", body)
    assert (reply.status, reply.body["errors"][0]["field"]) == (422, field)


def test_resolved_alert_fires_again_only_after_new_breaches(api, store):
    store.rules.create(make_rule(rule_id="cpu", breaches_to_fire=2))
    for minute in (5, 4):
        store.evaluator(99.0).run(minutes_ago(minute))
    (alert,) = store.alerts.open_for_rule("cpu")

    api.post(f"/alerts/{alert.alert_id}/resolve", {"by": "alice"})

    # The next ticks (after the resolve) start counting from zero
    store.evaluator(99.0).run(minutes_ago(-1))
    assert store.alerts.open_for_rule("cpu") == []  # one new breach of the two needed
    store.evaluator(99.0).run(minutes_ago(-2))
    assert len(store.alerts.open_for_rule("cpu")) == 1


def test_list_alerts_token_of_another_listing_is_400(api, store):
    # Given a page token from the unfiltered listing, and one from /rules
    for i in range(3):
        store.fire(make_rule(rule_id=f"r{i}"), at=minutes_ago(10 + i))
        api.post("/rules", {**rule_data(rule_id=f"rule-{i}")})
    alerts_token = api.get("/alerts", {"limit": "1"}).body["next_token"]
    rules_token = api.get("/rules", {"limit": "1"}).body["next_token"]

    # Then neither continues a listing it does not belong to
    for query in ({"status": "firing", "next_token": alerts_token}, {"next_token": rules_token}):
        reply = api.get("/alerts", query)
        assert (reply.status, reply.body["errors"][0]["field"]) == (400, "next_token"), query
    reply = api.get("/rules", {"severity": "high", "next_token": rules_token})
    assert (reply.status, reply.body["errors"][0]["field"]) == (400, "next_token")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "2999-01-01T00:00:00Z"}, "since"),
        ({"since": "2026-11-20T00:00:00Z", "until": "2026-11-19T00:00:00Z"}, "until"),
    ],
)
def test_list_alerts_impossible_window_is_400(api, query, field):
    reply = api.get("/alerts", query)
    assert (reply.status, reply.body["errors"][0]["field"]) == (400, field)
