"""The handler's edges: unknown routes, unreadable requests, unexpected errors, logs."""

from __future__ import annotations

import json

from alerting_local.lambda_runtime import LambdaContext
from tests.integration.api.client import api_event


def test_unknown_route_and_unknown_method_are_404(api):
    assert api.get("/nope").body["message"] == "no route for GET /nope"
    assert api.request("PATCH", "/rules").status == 404


def test_body_that_is_not_json_content_is_415(api):
    reply = api.request("POST", "/rules", "name=x", headers={"Content-Type": "text/plain"})
    assert reply.status == 415


def test_unexpected_error_is_500_with_the_request_id_and_nothing_else(api, monkeypatch, api_log):
    # Given a repository failure the API does not expect
    def explode(*args: object) -> None:
        raise RuntimeError("table alerting-local-ConfigTable is on fire")

    monkeypatch.setattr(api.services.rules, "get", explode)
    from api.handler import handler

    # When a request hits it
    event = api_event("GET", "/rules/cpu")
    response = handler(event, LambdaContext("api"), services=api.services)

    # Then the caller sees only the request id; the log has the detail under the same id
    request_id = event["requestContext"]["requestId"]
    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {"message": "internal error", "correlation_id": request_id}
    (error,) = [entry for entry in api_log() if entry["level"] == "ERROR"]
    assert error["correlation_id"] == request_id
    assert "is on fire" in error["exception"]


def test_refusals_are_logged_with_their_fields_only(api, api_log):
    api.post("/rules", {"name": "", "conditions": []})
    (refusal,) = [entry for entry in api_log() if entry["message"] == "request refused"]
    assert (refusal["status"], refusal["fields"]) == (422, ["name", "conditions"])
