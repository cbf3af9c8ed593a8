"""GET /openapi.json, and a property-based run of its request schemas: no request yields a 500."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerting_local.receiver import Receiver
from tests.factories import make_rule
from tests.integration.api.client import ApiClient
from tests.integration.api.schema_strategies import ANY_JSON, from_schema

# The contract's routes (architecture §6, §9) that this API serves so far.
ROUTES = {
    "/rules": {"get", "post"},
    "/rules/{rule_id}": {"get", "put", "delete"},
    "/rules/{rule_id}/test": {"post"},
    "/rules/test": {"post"},
    "/rules/{rule_id}/backtest": {"post"},
    "/rules/backtest": {"post"},
    "/alerts": {"get"},
    "/audit": {"get"},
    "/me": {"get"},
    "/alerts/{alert_id}": {"get"},
    "/alerts/{alert_id}/history": {"get"},
    "/alerts/{alert_id}/deliveries": {"get"},
    "/alerts/{alert_id}/ack": {"post"},
    "/alerts/{alert_id}/resolve": {"post"},
    "/alerts/{alert_id}/unack": {"post"},
    "/escalation-policies": {"get", "post"},
    "/escalation-policies/{policy_id}": {"get", "put", "delete"},
    "/schedules": {"get", "post"},
    "/schedules/{schedule_id}": {"get", "put", "delete"},
    "/schedules/{schedule_id}/oncall": {"get"},
    "/mute-windows": {"get", "post"},
    "/mute-windows/{mute_window_id}": {"get", "put", "delete"},
    "/inhibitions": {"get", "post"},
    "/inhibitions/{inhibition_id}": {"get", "put", "delete"},
    "/routes": {"get", "post"},
    "/routes/{route_id}": {"get", "put", "delete"},
    "/routes/test": {"get"},
    "/silences": {"get", "post"},
    "/silences/{silence_id}": {"get", "delete"},
    "/channels": {"get", "post"},
    "/channels/{channel_id}": {"get", "put", "delete"},
    "/channels/{channel_id}/test": {"post"},
    "/heartbeats": {"get", "post"},
    "/heartbeats/{heartbeat_id}": {"get", "put", "delete"},
    "/heartbeats/{heartbeat_id}/rotate": {"post"},
    "/integrations": {"get", "post"},
    "/integrations/{integration_id}": {"get", "put", "delete"},
    "/integrations/{integration_id}/rotate": {"post"},
    "/rules/{rule_id}/datapoints": {"get"},
    "/summary": {"get"},
    "/health": {"get"},
}


MALFORMED_BODIES = ["{broken", "[" * 5000 + "]" * 5000, '{"a": ' * 3000 + "1" + "}" * 3000, "\udcff"]
CONTENT_TYPES = ["multipart/form-data", "multipart/form-data; boundary=x", "text/plain", "application/xml", ""]


@pytest.fixture
def document(api: ApiClient) -> dict[str, Any]:
    reply = api.get("/openapi.json")
    assert reply.status == 200
    return reply.body  # type: ignore[no-any-return]


def test_openapi_document_names_the_product_and_every_route(document, aws):
    assert document["info"]["title"] == "Serverless Alerting API"
    assert document["info"]["version"] == aws.env("ApiFunction")["APP_VERSION"]
    assert {path: set(ops) for path, ops in document["paths"].items()} == ROUTES


def test_openapi_document_describes_our_error_body(document):
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert set(schemas["ErrorBody"]["properties"]) == {"message", "errors", "correlation_id"}
    create = document["paths"]["/rules"]["post"]["responses"]
    assert create["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
    assert "201" in create


# -- property-based: every operation, inputs drawn from its own schemas ---------------------------


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, ops in sorted(document["paths"].items()) for method, op in sorted(ops.items())]


def request_for(document: dict[str, Any], known_ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    components = document["components"]["schemas"]

    @st.composite
    def draw(data: st.DrawFn) -> dict[str, Any]:
        path, method, op = data(st.sampled_from(operations(document)))
        query: dict[str, Any] = {}
        headers: dict[str, str] = {}
        for param in op.get("parameters", []):
            valid = from_schema(param["schema"], components)
            if param["in"] == "path":
                value = data(st.sampled_from(known_ids) | valid | st.text(min_size=1, max_size=70))
                path = path.replace("{" + param["name"] + "}", str(value).replace("/", "%2F") or "x")
            elif data(st.booleans()):  # optional query / header parameters come and go
                value = data(valid.filter(lambda v: v is not None) | st.text(max_size=30))
                text = [_text(v) for v in value] if isinstance(value, list) else _text(value)
                (query if param["in"] == "query" else headers)[param["name"]] = text
        body = None
        if "requestBody" in op:
            schema = op["requestBody"]["content"]["application/json"]["schema"]
            body = data(from_schema(schema, components) | ANY_JSON | st.sampled_from(MALFORMED_BODIES))
            if data(st.integers(0, 9)) == 0:  # now and then, what a careless client sends
                headers["Content-Type"] = data(st.sampled_from(CONTENT_TYPES))
        return {"method": method.upper(), "path": path, "query": query, "headers": headers, "body": body}

    return draw()


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def test_no_request_from_the_schemas_yields_a_server_error(api, document, store):
    # Given a little of everything, so drawn ids sometimes exist
    alert = store.fire(make_rule(rule_id="high-cpu"))
    with Receiver() as receiver:
        api.post(
            "/channels",
            {"channel_id": "hook", "name": "h", "type": "webhook", "target": {"url": receiver.url("/hook")}},
        )
        known = ["high-cpu", "hook", alert.alert_id]

        @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
        @given(request=request_for(document, known))
        def no_server_error(request: dict[str, Any]) -> None:
            reply = api.request(
                request["method"], request["path"], request["body"], request["query"], request["headers"]
            )
            assert reply.status < 500, (request, reply.body)
            assert reply.status != 422 or reply.body["errors"], reply.body  # a 422 names its fields

        no_server_error()


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_every_ref_in_the_document_resolves(document):
    refs = set(_refs(document))
    assert refs  # the error body at least
    for ref in refs:
        target: Any = document
        for part in ref.removeprefix("#/").split("/"):
            assert isinstance(target, dict) and part in target, ref
            target = target[part]


def test_delete_operations_answer_204_without_a_body(document):
    for path, method, op in operations(document):
        if method == "delete":
            assert "204" in op["responses"], path
            assert "content" not in op["responses"]["204"], path
