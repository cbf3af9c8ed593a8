"""The ingest API's door, end to end against moto: keys made by the API let their integration's
requests in, with its labels; anything else is refused before a route runs (401, 403), past its
rate (429 with Retry-After), or for its size (413); and no key is ever written to a log."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alerting.models.common import set_clock
from alerting.models.integrations import new_key
from tests.integration.ingest.conftest import IngestClient

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Any:
    now = [NOW]
    set_clock(lambda: now[0])
    yield now
    set_clock(None)


def test_a_key_lets_its_integration_in_with_its_labels_and_severity(ingest: IngestClient, integration: Any) -> None:
    _, key = integration(labels={"team": "payments"}, severity="critical")
    expected = {"subject": "integration#prom", "labels": {"team": "payments"}, "severity": "critical"}

    as_bearer = ingest.get("/test/whoami", key)
    as_basic = ingest.request(
        "GET", "/test/whoami", headers={"Authorization": "Basic " + base64.b64encode(f"amtool:{key}".encode()).decode()}
    )

    assert (as_bearer.status, as_bearer.body) == (200, expected)
    assert (as_basic.status, as_basic.body) == (200, expected)


@pytest.mark.parametrize("key", [None, "nonsense", new_key()], ids=["none", "nonsense", "unknown"])
def test_without_a_valid_key_every_request_is_a_401_before_its_route_runs(
    ingest: IngestClient, integration: Any, key: str | None
) -> None:
    integration()

    for reply in (ingest.get("/test/whoami", key), ingest.post("/test/echo", {"no": "summary"}, key)):
        assert reply.status == 401  # not the 422 the body deserves: nobody is told anything before the key
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")
        assert reply.body["message"]


def test_a_rotated_or_deleted_key_stops_working_at_once(ingest: IngestClient, integration: Any, api: Any) -> None:
    _, old = integration()
    new = api.post("/integrations/prom/rotate").body["key"]

    assert ingest.get("/test/whoami", old).status == 401
    assert ingest.get("/test/whoami", new).status == 200

    assert api.delete("/integrations/prom").status == 204
    assert ingest.get("/test/whoami", new).status == 401


def test_a_disabled_integration_or_one_of_another_type_is_forbidden(
    ingest: IngestClient, integration: Any, api: Any
) -> None:
    _, events_key = integration("pd", type="events")
    _, key = integration()
    current = api.get("/integrations/prom").body
    assert api.put("/integrations/prom", {**current, "enabled": False}).status == 200

    for reply in (ingest.get("/test/whoami", events_key), ingest.get("/test/whoami", key)):
        assert reply.status == 403, reply.body
    assert "events integration 'pd' is not for this API" in ingest.get("/test/whoami", events_key).body["message"]


def test_a_key_in_the_path_lets_any_owner_in(ingest: IngestClient, integration: Any) -> None:
    _, key = integration("pd", type="events")

    assert ingest.get(f"/keyed/{key}").body == {"subject": "integration#pd"}
    assert ingest.get(f"/keyed/{new_key()}").status == 401


def test_past_its_rate_an_integration_gets_429_with_retry_after_and_the_others_do_not(
    ingest: IngestClient, integration: Any, clock: Any
) -> None:
    _, key = integration()
    _, other = integration("other")
    slow = ingest.at_rate(per_second=1, burst=2)

    statuses = [slow.get("/test/whoami", key).status for _ in range(3)]
    refused = slow.get("/test/whoami", key)

    assert statuses == [200, 200, 429]
    assert (refused.status, refused.headers["Retry-After"]) == (429, "1")
    assert slow.get("/test/whoami", other).status == 200
    clock[0] = NOW + timedelta(seconds=1)
    assert slow.get("/test/whoami", key).status == 200


def test_a_body_over_1_mb_is_413_before_its_key_is_read(ingest: IngestClient, integration: Any) -> None:
    _, key = integration()
    large = {"summary": "x" * (1024 * 1024)}

    assert ingest.post("/test/echo", large, key).status == 413
    assert ingest.post("/test/echo", large).status == 413  # no key: still the size, no lookup
    assert ingest.post("/test/echo", {"summary": "x" * 1000}, key).status == 200


def test_an_invalid_body_is_a_422_naming_its_field_in_our_shape(ingest: IngestClient, integration: Any) -> None:
    _, key = integration()

    reply = ingest.post("/test/echo", {"summary": ""}, key)

    assert reply.status == 422
    assert reply.body["message"] == "invalid request"
    assert [e["field"] for e in reply.body["errors"]] == ["summary"]
    assert reply.body["correlation_id"]


def test_a_path_no_route_serves_is_a_404_that_does_not_repeat_a_key(ingest: IngestClient) -> None:
    key = new_key()

    reply = ingest.get(f"/nowhere/{key}")

    assert reply.status == 404
    assert key not in reply.body["message"]


def test_no_key_is_ever_written_to_a_log(
    ingest: IngestClient, integration: Any, api: Any, api_log: Any, ingest_log: Any, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    _, key = integration()
    rotated = api.post("/integrations/prom/rotate").body["key"]
    slow = ingest.at_rate(per_second=1, burst=1)

    slow.get("/test/whoami", rotated)  # admitted
    slow.get("/test/whoami", rotated)  # throttled
    ingest.get("/test/whoami", key)  # revoked
    ingest.post("/test/echo", {"summary": ""}, rotated)  # invalid
    ingest.get(f"/keyed/{key}")  # in the path, revoked
    ingest.get(f"/nowhere/{rotated}")  # in a path nothing serves

    logged = ingest_log() + "\n".join(str(line) for line in api_log()) + caplog.text
    assert "request refused" in logged  # the requests were logged...
    for secret in (key, rotated):
        assert secret not in logged  # ...and no key with them
        assert secret[3:20] not in logged


def test_an_admitted_request_costs_two_reads_and_one_write(aws: Any, integration: Any, ingest: IngestClient) -> None:
    _, key = integration()
    calls: list[str] = []
    client = ingest.services.gate.keys._client  # the shared client every adapter of the function holds

    def count(model: Any, **_: Any) -> None:
        calls.append(model.name)

    client.meta.events.register("before-call.dynamodb", count)
    try:
        assert ingest.get("/test/whoami", key).status == 200
    finally:
        client.meta.events.unregister("before-call.dynamodb", count)

    assert calls == ["GetItem", "GetItem", "UpdateItem"]  # the key's owner, the integration, its bucket
