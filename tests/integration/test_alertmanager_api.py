"""The Alertmanager API v2 (`/api/v2`) through IngestApiFunction's real handler, on the template's
tables in moto: alerts posted as Prometheus posts them open, refresh and resolve one alert per
label set; the alerts and silences read back are the main API's; every refusal is a JSON string."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from alerting import wiring
from alerting.kinds import ROUTE, RULE, SILENCE
from alerting.models.common import AlertStatus, iso, set_clock
from alerting.models.reports import EvaluationSummary
from alerting.models.routes import StoredRoute
from alerting.settings import IngestApiSettings
from alerting_local.apigw import proxy_event
from alerting_local.lambda_runtime import LambdaContext
from evaluator.sweep import Sweep
from ingest import api
from ingest.dependencies import Services, build
from tests.factories import T0
from tests.integration.test_events_api import add_integration

Call = Callable[..., tuple[int, Any]]
NOW = T0 + timedelta(minutes=1)
LABELS = {"alertname": "DiskFull", "instance": "db-1", "severity": "warning"}


@pytest.fixture
def settings(ingest_settings: IngestApiSettings) -> IngestApiSettings:
    return ingest_settings


@pytest.fixture
def services(settings: IngestApiSettings) -> Iterator[Services]:
    set_clock(lambda: NOW)
    yield build(settings)
    set_clock(None)


@pytest.fixture
def key(settings: IngestApiSettings) -> str:
    return add_integration(settings, "prom", type="alertmanager", labels={"team": "payments"})


@pytest.fixture
def call(services: Services, key: str) -> Call:
    def send(
        method: str, path: str, body: Any = None, query: str | None = None, auth: str | None = None
    ) -> tuple[int, Any]:
        headers = {"Authorization": auth or f"Bearer {key}"}
        event = proxy_event(method, f"/api/v2{path}", body=body, query=query, headers=headers)
        response = api.handler(event, LambdaContext("IngestApiFunction"), services=services)
        text = response.get("body") or ""
        return int(response["statusCode"]), json.loads(text) if text else None

    return send


def alert(minutes_left: float = 4, **fields: Any) -> dict[str, Any]:
    return {
        "labels": LABELS,
        "annotations": {"summary": "disk 97% full"},
        "startsAt": iso(T0),
        "endsAt": iso(NOW + timedelta(minutes=minutes_left)),
        "generatorURL": "http://prometheus:9090/graph",
        **fields,
    }


def test_a_firing_alert_opens_once_and_its_resends_refresh_it(call: Call, services: Services):
    assert call("POST", "/alerts", [alert()]) == (200, None)
    assert call("POST", "/alerts", [alert(minutes_left=5)]) == (200, None)

    (opened,) = services.lifecycle.alerts.open_alerts()
    assert (opened.source, opened.rule_id, opened.rule_name) == ("prometheus", "prometheus:prom", "DiskFull")
    assert opened.labels == {"team": "payments", **LABELS}
    latest = services.lifecycle.alerts.latest(opened.fingerprint)
    assert latest is not None and latest.ends_at == NOW + timedelta(minutes=5)

    status, shown = call("GET", "/alerts")
    assert status == 200
    assert [(a["labels"]["alertname"], a["status"]["state"], a["endsAt"]) for a in shown] == [
        ("DiskFull", "active", "2026-11-26T16:06:00.000Z")
    ]


def test_a_resolved_alert_resolves_and_an_end_passed_without_resend_resolves_at_the_sweep(call, services):
    call("POST", "/alerts", [alert(), alert(labels={"alertname": "Quiet"})])

    assert call("POST", "/alerts", [alert(minutes_left=-0.5)]) == (200, None)  # Prometheus's resolved send

    (left,) = services.lifecycle.alerts.open_alerts()
    assert left.rule_name == "Quiet"
    assert services.lifecycle.lapse(left.fingerprint, NOW + timedelta(minutes=3)).value == "unchanged"
    assert services.lifecycle.lapse(left.fingerprint, NOW + timedelta(minutes=4)).value == "resolved"
    assert services.lifecycle.alerts.open_alerts() == []


def test_invalid_alerts_are_named_and_the_valid_ones_still_open(call, services):
    status, text = call("POST", "/alerts", [alert(labels={}), alert(labels={"bad-name": "x"}), alert()])

    assert status == 400
    assert text == "0.labels: at least one label pair required; 1.labels.bad-name: invalid label name: " + (
        "at most 128 of [a-zA-Z0-9_], not first a digit"
    )
    assert [a.rule_name for a in services.lifecycle.alerts.open_alerts()] == ["DiskFull"]


@pytest.mark.parametrize(
    ("body", "status"),
    [("{", 400), ([alert()] * 1001, 400), ("x" * (1024 * 1024 + 1), 413)],
    ids=["not-json", "too-many", "too-large"],
)
def test_a_body_refused_whole_is_an_alertmanager_string(call, body, status):
    answered, text = call("POST", "/alerts", body)

    assert answered == status and isinstance(text, str)


@pytest.mark.parametrize("auth", ["Bearer ak_wrong", "Basic " + base64.b64encode(b"prometheus:ak_wrong").decode()])
def test_a_wrong_key_is_refused_in_alertmanagers_shape(call, auth):
    assert call("GET", "/alerts", auth=auth) == (401, "unknown or revoked key")


def test_basic_auth_with_the_key_as_password_is_let_in(call, key):
    assert call("GET", "/status", auth="Basic " + base64.b64encode(f"prometheus:{key}".encode()).decode())[0] == 200


def test_another_integrations_key_is_forbidden(call, settings):
    events_key = add_integration(settings, "pd", type="events")

    status, text = call("GET", "/alerts", auth=f"Bearer {events_key}")

    assert status == 403 and "not for this API" in text


def silence_body(**fields: Any) -> dict[str, Any]:
    return {
        "matchers": [{"name": "alertname", "value": "DiskFull", "isRegex": False}],
        "startsAt": iso(NOW),
        "endsAt": iso(NOW + timedelta(hours=1)),
        "createdBy": "alice",
        "comment": "replacing the disk",
        **fields,
    }


def test_a_silence_posted_here_is_the_main_apis_and_silences_the_alert(call, settings):
    call("POST", "/alerts", [alert()])

    status, created = call("POST", "/silences", silence_body())

    assert status == 200
    silence_id = created["silenceID"]
    stored = wiring.config(settings, SILENCE).get(silence_id)  # what the main API's /silences reads
    assert (stored.created_by, stored.comment) == ("alice", "replacing the disk")
    (shown,) = call("GET", "/alerts")[1]
    assert shown["status"] == {"state": "suppressed", "silencedBy": [silence_id], "inhibitedBy": [], "mutedBy": []}
    assert call("GET", "/alerts", query="silenced=false")[1] == []
    assert call("GET", f"/silence/{silence_id}")[1]["status"] == {"state": "active"}


def test_posting_a_silence_with_its_id_changes_it_in_place_or_replaces_it(call):
    silence_id = call("POST", "/silences", silence_body())[1]["silenceID"]

    longer = call("POST", "/silences", silence_body(id=silence_id, endsAt=iso(NOW + timedelta(hours=2))))
    other = call(
        "POST", "/silences", silence_body(id=silence_id, matchers=[{"name": "job", "value": "db", "isRegex": False}])
    )

    assert longer == (200, {"silenceID": silence_id})
    assert other[0] == 200 and other[1]["silenceID"] != silence_id
    states = {s["id"]: s["status"]["state"] for s in call("GET", "/silences")[1]}
    assert states == {silence_id: "expired", other[1]["silenceID"]: "active"}
    assert call("POST", "/silences", silence_body(id="no-such-silence"))[0] == 404


def test_deleting_a_silence_expires_it_and_again_changes_nothing(call):
    silence_id = call("POST", "/silences", silence_body())[1]["silenceID"]

    assert call("DELETE", f"/silence/{silence_id}") == (200, None)
    assert call("DELETE", f"/silence/{silence_id}") == (200, None)

    assert call("GET", f"/silence/{silence_id}")[1]["status"] == {"state": "expired"}
    assert call("DELETE", "/silence/unknown")[0] == 404
    assert call("GET", "/silence/" + "x" * 2000)[0] == 404


def test_status_and_receivers_are_the_routes(call, settings):
    route = {"route_id": "payments", "name": "Payments", "matchers": [{"label": "team", "value": "payments"}]}
    wiring.config(settings, ROUTE).create(StoredRoute.model_validate({**route, "receiver": {"channels": []}}))
    call("POST", "/alerts", [alert()])

    status = call("GET", "/status")[1]
    receivers = call("GET", "/receivers")[1]
    groups = call("GET", "/alerts/groups")[1]

    assert status["cluster"] == {"status": "disabled", "peers": []}
    assert 'receiver: "Payments"' in status["config"]["original"]
    assert receivers == [{"name": "stack-topic"}, {"name": "Payments"}]
    assert [(g["receiver"]["name"], len(g["alerts"])) for g in groups] == [("Payments", 1)]


def test_a_bad_filter_is_a_400_naming_it(call):
    assert call("GET", "/alerts", query="filter=alertname") == (400, "filter: bad matcher format: alertname")
    assert call("GET", "/silences", query="filter=a%3D~(")[0] == 400
    assert call("GET", "/alerts", query="receiver=(")[0] == 400


def test_acknowledging_or_resolving_by_hand_shows_here_as_the_main_api_did_it(call, services):
    call("POST", "/alerts", [alert()])
    (opened,) = services.lifecycle.alerts.open_alerts()

    services.lifecycle.resolve(opened.alert_id, "alice", "done", NOW)

    assert call("GET", "/alerts")[1] == []
    assert services.lifecycle.alerts.get(opened.alert_id).status is AlertStatus.resolved


def test_a_batch_opens_its_alerts_at_once_and_the_same_label_set_twice_opens_one(call, services):
    batch = [alert(labels={"alertname": "DiskFull", "instance": f"db-{n}"}) for n in range(50)]

    assert call("POST", "/alerts", [*batch, batch[0], batch[1]]) == (200, None)

    assert len(services.lifecycle.alerts.open_alerts()) == 50


def test_the_sweep_resolves_the_alerts_whose_end_passed_and_leaves_the_others(call, services, settings):
    call("POST", "/alerts", [alert(minutes_left=2), alert(minutes_left=10, labels={"alertname": "Later"})])
    sweep = Sweep(services.lifecycle.alerts, wiring.config(settings, RULE), services.lifecycle)

    summary = EvaluationSummary(tick=NOW + timedelta(minutes=3))
    sweep.run(None, summary.tick, summary)

    assert [a.rule_name for a in services.lifecycle.alerts.open_alerts()] == ["Later"]
    assert summary.alerts_resolved == 1
    (lapsed,) = [a for a in services.lifecycle.alerts.since(T0) if a.rule_name == "DiskFull"]
    assert services.lifecycle.alerts.history(lapsed.alert_id)[-1].reason == "not sent again before its end (prometheus)"
