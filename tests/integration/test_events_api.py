"""`POST /v2/enqueue` (PagerDuty's Events API v2) through IngestApiFunction's real handler, on
the template's tables in moto: trigger, acknowledge and resolve by dedup_key, and every refusal
in PagerDuty's shape."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as examples
from schemathesis.core import NOT_SET

from alerting import wiring
from alerting.kinds import INTEGRATION, ROUTE
from alerting.models.alerts import Alert
from alerting.models.common import AlertStatus, Severity
from alerting.models.integrations import Integration, key_hash, new_key
from alerting.models.routes import StoredRoute
from alerting.repositories.keys import KeyOwner
from alerting.repositories.quotas import Rate
from alerting.settings import IngestApiSettings
from alerting.sources.events_api import MAX_EVENT_BYTES
from alerting_local.apigw import proxy_event
from alerting_local.lambda_runtime import LambdaContext
from ingest import api
from ingest.dependencies import Services, build
from tests.factories import T0

Post = Callable[..., tuple[int, dict[str, Any], dict[str, str]]]


def add_integration(settings: IngestApiSettings, integration_id: str, **fields: Any) -> str:
    """An integration stored with its key, as the API's create writes them; returns the key."""
    key = new_key()
    integration = Integration.model_validate(
        {
            "integration_id": integration_id,
            "name": integration_id,
            "type": "events",
            "key_hash": key_hash(key),
            "created_at": T0,
            "updated_at": T0,
            **fields,
        }
    )
    owner = KeyOwner(INTEGRATION.name, integration_id)
    wiring.config(settings, INTEGRATION).create(integration, also=[wiring.keys(settings).put_op(key_hash(key), owner)])
    return key


@pytest.fixture
def settings(ingest_settings: IngestApiSettings) -> IngestApiSettings:
    return ingest_settings


@pytest.fixture
def services(settings: IngestApiSettings) -> Services:
    return build(settings)


@pytest.fixture
def key(settings: IngestApiSettings) -> str:
    return add_integration(settings, "payments-pd", labels={"team": "payments"})


@pytest.fixture
def post(services: Services) -> Post:
    return poster(services)


def poster(services: Services) -> Post:
    def send(body: Any, path: str = "/v2/enqueue") -> tuple[int, dict[str, Any], dict[str, str]]:
        event = proxy_event("POST", path, body=body)
        response = api.handler(event, LambdaContext("IngestApiFunction"), services=services)
        headers = {name: values[-1] for name, values in (response.get("multiValueHeaders") or {}).items()}
        return response["statusCode"], json.loads(response["body"] or "null"), headers | (response.get("headers") or {})

    return send


def trigger(key: str, dedup_key: str | None = "db1/disk", **payload: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {"summary": "Disk full on db1", "source": "db1.example.com", "severity": "critical", **payload},
    }
    return event | ({"dedup_key": dedup_key} if dedup_key else {})


def follow_up(key: str, action: str, dedup_key: str = "db1/disk") -> dict[str, Any]:
    return {"routing_key": key, "event_action": action, "dedup_key": dedup_key}


def alerts(services: Services) -> list[Alert]:
    return sorted(services.lifecycle.alerts.open_alerts(), key=lambda a: a.started_at)


def only_alert(services: Services) -> Alert:
    (alert,) = alerts(services)
    return alert


def test_a_trigger_opens_one_alert_and_its_repeats_refresh_it(post: Post, key: str, services: Services):
    status, body, headers = post(trigger(key))
    assert (status, body) == (202, {"status": "success", "message": "Event processed", "dedup_key": "db1/disk"})
    assert headers["Content-Type"] == "application/json"
    assert post(trigger(key))[0] == 202

    alert = only_alert(services)
    assert (alert.source, alert.rule_id, alert.rule_name) == ("events", "events:payments-pd", "Disk full on db1")
    assert (alert.status, alert.severity) == (AlertStatus.firing, Severity.critical)
    assert alert.labels == {"team": "payments", "event_source": "db1.example.com"}


def test_the_routes_matching_the_integrations_labels_hear_the_alert(post: Post, key: str, settings, services: Services):
    route = {"route_id": "payments", "name": "Payments", "matchers": [{"label": "team", "value": "payments"}]}
    wiring.config(settings, ROUTE).create(StoredRoute.model_validate(route | {"receiver": {"channels": ["pay-slack"]}}))

    post(trigger(key))

    assert only_alert(services).channels == ["pay-slack"]


def test_acknowledge_then_resolve_by_dedup_key(post: Post, key: str, services: Services):
    post(trigger(key))
    alert_id = only_alert(services).alert_id

    assert post(follow_up(key, "acknowledge"))[:2] == (
        202,
        {"status": "success", "message": "Event processed", "dedup_key": "db1/disk"},
    )
    acknowledged = services.lifecycle.alerts.get(alert_id)
    assert (acknowledged.status, acknowledged.acknowledged_by) == (AlertStatus.acknowledged, "events")
    assert post(follow_up(key, "acknowledge"))[0] == 202  # already acknowledged: nothing to do

    assert post(follow_up(key, "resolve"))[0] == 202
    resolved = services.lifecycle.alerts.get(alert_id)
    assert (resolved.status, resolved.resolved_by) == (AlertStatus.resolved, "events")
    history = [(t.event.value, t.actor) for t in services.lifecycle.alerts.history(alert_id)]
    assert history == [("firing", "events"), ("acknowledged", "events"), ("resolved", "events")]


def test_acknowledge_and_resolve_of_a_key_without_an_open_alert_are_accepted_and_change_nothing(
    post: Post, key: str, services: Services
):
    assert post(follow_up(key, "acknowledge", "never-triggered"))[0] == 202
    assert post(follow_up(key, "resolve", "never-triggered"))[0] == 202

    assert alerts(services) == []


def test_the_same_dedup_key_on_two_integrations_is_two_alerts(post: Post, key: str, settings, services: Services):
    other = add_integration(settings, "search-pd")

    post(trigger(key))
    post(trigger(other))
    post(follow_up(other, "resolve"))

    assert [a.rule_id for a in alerts(services)] == ["events:payments-pd"]


def test_a_trigger_without_a_dedup_key_gets_one_to_resolve_it_with(post: Post, key: str, services: Services):
    status, body, _ = post(trigger(key, dedup_key=None))

    assert status == 202 and len(body["dedup_key"]) == 32
    assert post(follow_up(key, "resolve", body["dedup_key"]))[0] == 202
    assert alerts(services) == []


def test_an_invalid_event_is_refused_naming_each_field(post: Post, key: str, services: Services):
    event = trigger(key, severity="high")
    del event["payload"]["summary"]

    assert post(event)[:2] == (
        400,
        {
            "status": "invalid event",
            "message": "Event object is invalid",
            "errors": [
                "'payload.summary' is missing or blank",
                "'payload.severity': Input should be 'critical', 'error', 'warning' or 'info'",
            ],
        },
    )
    assert post(follow_up(key, "resolve") | {"dedup_key": None})[1]["errors"] == [
        "'dedup_key' is missing: resolve names the alert by its dedup_key"
    ]
    assert alerts(services) == []


@pytest.mark.parametrize("body", ["{not json", "[]", json.dumps({"routing_key": 5})])
def test_a_body_without_a_routing_key_is_refused_as_a_wrong_key(post: Post, body: str):
    assert post(body)[:2] == (
        401,
        {
            "status": "invalid routing key",
            "message": "Invalid routing key",
            "errors": ["'routing_key' is missing or blank"],
        },
    )


def test_a_keyed_body_that_is_no_event_is_invalid(post: Post, key: str):
    assert post({"routing_key": key, "event_action": "trigger", "payload": "disk full"})[1]["errors"] == [
        "'payload': Input should be a valid dictionary or object to extract fields from"
    ]


def test_a_wrong_routing_key_is_refused_in_pagerdutys_shape(post: Post, key: str, services: Services):
    status, body, _ = post(trigger("ak_not-a-key"))
    assert (status, body) == (
        401,
        {
            "status": "invalid routing key",
            "message": "Invalid routing key",
            "errors": ["'routing_key' is unknown or revoked"],
        },
    )
    missing = trigger(key)
    del missing["routing_key"]
    assert post(missing)[1]["errors"] == ["'routing_key' is missing or blank"]
    assert alerts(services) == []


def test_the_key_of_another_kind_of_integration_or_a_disabled_one_is_forbidden(
    post: Post, settings, services: Services
):
    alertmanager = add_integration(settings, "prometheus", type="alertmanager")
    disabled = add_integration(settings, "old-pd", enabled=False)

    assert post(trigger(alertmanager))[:2] == (
        403,
        {
            "status": "invalid routing key",
            "message": "the key of alertmanager integration 'prometheus' is not for this API",
            "errors": ["the key of alertmanager integration 'prometheus' is not for this API"],
        },
    )
    assert post(trigger(disabled))[1]["errors"] == ["the key of events integration 'old-pd' is disabled"]
    assert alerts(services) == []


def test_an_integration_past_its_rate_is_told_when_to_retry(key: str, services: Services):
    post = poster(replace(services, gate=replace(services.gate, rate=Rate("ingest", per_second=1, burst=2))))
    assert [post(follow_up(key, "resolve"))[0] for _ in range(2)] == [202, 202]

    status, body, headers = post(follow_up(key, "resolve"))

    assert (status, body["status"]) == (429, "throttled")
    assert headers["Retry-After"] == "1"


def test_an_event_past_pagerdutys_512_kb_is_refused_and_one_past_1_mb_is_too_large(post: Post, key: str):
    big = trigger(key, custom_details={"log": "x" * MAX_EVENT_BYTES})
    assert post(big)[:2] == (
        400,
        {
            "status": "invalid event",
            "message": "Event object is invalid",
            "errors": [f"the event is larger than PagerDuty's {MAX_EVENT_BYTES} bytes"],
        },
    )

    huge = trigger(key, custom_details={"log": "x" * 2 * MAX_EVENT_BYTES})
    status, body, _ = post(huge)
    assert (status, body["status"]) == (413, "invalid event")


EVENTS = schemathesis.openapi.from_dict(api.app.document("test")).include(path="/v2/enqueue")


@EVENTS.parametrize()
@examples(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_event_with_a_valid_key_answers_with_a_server_error(case: schemathesis.Case, post: Post, key: str):
    """Generated events (valid and not) carrying an events integration's key reach the route."""
    status, answer, _ = post(keyed(case.body, key))

    assert status < 500, answer
    assert set(answer) >= {"status", "message"}


def keyed(body: Any, key: str) -> Any:
    """A generated body as the handler takes it, with the key where an event carries one."""
    if body is NOT_SET:
        return None
    if isinstance(body, bytes):
        return body.decode("utf-8", "replace")
    return body | {"routing_key": key} if isinstance(body, dict) else json.dumps(body)
