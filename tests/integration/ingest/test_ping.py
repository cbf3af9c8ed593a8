"""`/ping/<key>` and `/ping/<key>/fail` through the real ingest API, heartbeats made by the real
API, the sweep by the real evaluator handler: a job that stops checking in pages, and recovers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerting import wiring
from alerting.kinds import ROUTE
from alerting.models.common import set_clock
from alerting.models.routes import StoredRoute
from alerting.settings import EvaluatorSettings, IngestApiSettings
from alerting_local.lambda_runtime import LambdaContext
from evaluator import handler as evaluator_handler
from ingest.api import app
from ingest.dependencies import build
from tests.integration.api.client import ApiClient
from tests.integration.ingest.conftest import IngestClient

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
EVENT = json.loads((Path(__file__).parents[3] / "events" / "scheduled.json").read_text())
S = timedelta(seconds=1)
M = timedelta(minutes=1)


@pytest.fixture
def clock() -> Any:
    now = [NOW]
    set_clock(lambda: now[0])
    yield now
    set_clock(None)


@pytest.fixture
def pings(aws: Any) -> IngestClient:
    return IngestClient(app, build(IngestApiSettings.from_env()))


@pytest.fixture
def heartbeat(api: ApiClient, clock: Any) -> str:
    """A heartbeat that expects a ping a minute, with a minute's grace; its key."""
    created = api.post("/heartbeats", {"heartbeat_id": "etl", "name": "ETL", "period_seconds": 60, "grace_seconds": 60})
    assert created.status == 201
    return str(created.body["key"])


def tick(at: datetime) -> dict[str, Any]:
    event = {**EVENT, "time": at.strftime("%Y-%m-%dT%H:%M:%SZ")}
    evaluator = evaluator_handler.build(EvaluatorSettings.from_env())
    return evaluator_handler.handler(event, LambdaContext("evaluator"), evaluator=evaluator)


def alerts(api: ApiClient) -> list[dict[str, Any]]:
    return list(api.get("/alerts", {"source": "heartbeat"}).body["items"])


def test_a_job_that_stops_pinging_pages_and_its_next_ping_resolves_the_alert(api, pings, heartbeat, clock):
    clock[0] = NOW + 30 * S
    assert pings.get(f"/ping/{heartbeat}").body == {"heartbeat_id": "etl", "at": "2026-12-07T12:00:30Z", "alert": None}
    assert pings.post(f"/ping/{heartbeat}", None).status == 200
    shown = api.get("/heartbeats/etl").body
    assert (shown["pings"], shown["last_ping_at"], shown["due_at"]) == (
        2,
        "2026-12-07T12:00:30Z",
        "2026-12-07T12:02:30Z",
    )

    assert tick(NOW + 2 * M)["heartbeats_fired"] == 0
    assert tick(NOW + 3 * M)["heartbeats_fired"] == 1
    assert tick(NOW + 4 * M)["heartbeats_fired"] == 0
    (alert,) = alerts(api)
    assert (alert["status"], alert["source"], alert["rule_id"]) == ("firing", "heartbeat", "heartbeat:etl")

    clock[0] = NOW + 4 * M + 10 * S
    back = pings.get(f"/ping/{heartbeat}")
    assert (back.status, back.body["alert"]) == (200, "resolved")
    assert [a["status"] for a in alerts(api)] == ["resolved"]


def test_fail_fires_at_once_with_the_jobs_reason(api, pings, heartbeat, clock):
    failed = pings.request("POST", f"/ping/{heartbeat}/fail", "backup failed: disk full\n")
    assert (failed.status, failed.body["alert"]) == (200, "opened")
    (alert,) = alerts(api)
    history = api.get(f"/alerts/{alert['alert_id']}/history").body["items"]
    assert history[0]["reason"] == "backup failed: disk full"
    clock[0] = NOW + 5 * S
    assert pings.get(f"/ping/{heartbeat}/fail").body["alert"] == "refreshed"  # still the one alert
    clock[0] = NOW + 10 * S
    assert pings.get(f"/ping/{heartbeat}").body["alert"] == "resolved"


def test_a_failures_alert_reaches_the_routes_matching_its_labels(api, pings, heartbeat, clock):
    route = {"route_id": "etl", "name": "ETL", "matchers": [{"label": "heartbeat", "value": "etl"}]}
    wiring.config(IngestApiSettings.from_env(), ROUTE).create(
        StoredRoute.model_validate(route | {"receiver": {"channels": ["etl-slack"]}})
    )
    assert pings.get(f"/ping/{heartbeat}/fail").body["alert"] == "opened"
    (alert,) = alerts(api)
    assert alert["channels"] == ["etl-slack"]


def test_a_disabled_heartbeat_records_pings_and_alerts_nothing(api, pings, heartbeat, clock):
    read = api.get("/heartbeats/etl").body
    assert api.put("/heartbeats/etl", {**read, "enabled": False}).status == 200
    assert pings.get(f"/ping/{heartbeat}/fail").body["alert"] is None
    assert pings.get(f"/ping/{heartbeat}").status == 200
    assert tick(NOW + 10 * M)["heartbeats_due"] == 0
    assert (api.get("/heartbeats/etl").body["pings"], alerts(api)) == (2, [])


def test_only_a_heartbeats_current_key_gets_in(api, pings, heartbeat, integration):
    _, integration_key = integration("prom")
    assert pings.get(f"/ping/{integration_key}").status == 403  # an integration's key is not a heartbeat's
    assert pings.get("/ping/ak_unknown").status == 401
    assert api.post("/heartbeats/etl/rotate").status == 201
    assert pings.get(f"/ping/{heartbeat}").status == 401  # rotated away
    assert api.get("/heartbeats/etl").body["pings"] == 0


def test_the_key_is_in_no_answer_and_no_log_line(api, pings, heartbeat, ingest_log):
    replies = [pings.get(f"/ping/{heartbeat}"), pings.request("POST", f"/ping/{heartbeat}/fail", "oops")]
    replies.append(pings.get(f"/ping/{heartbeat}x"))  # a wrong key: refused
    assert [r.status for r in replies] == [200, 200, 401]
    assert heartbeat not in json.dumps([r.body for r in replies]) + ingest_log()


def test_the_ingest_document_describes_the_pings(pings):
    paths = pings.get("/openapi.json").body["paths"]
    assert set(paths["/ping/{key}"]) == set(paths["/ping/{key}/fail"]) == {"get", "post"}


def test_pings_are_counted_against_the_heartbeats_rate(api, pings, heartbeat):
    limited = pings.at_rate(per_second=1, burst=2)
    statuses = [limited.get(f"/ping/{heartbeat}").status for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert api.get("/heartbeats/etl").body["pings"] == 2
