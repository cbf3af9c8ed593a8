"""Requests that cannot be parsed are refused with a 4xx and the usual error body, never a 500."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from alerting_local.lambda_runtime import LambdaContext
from api.handler import handler
from tests.integration.api.client import api_event
from tests.integration.api.test_rules import spec


def _send(event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = handler(event, LambdaContext("api"))
    return response["statusCode"], json.loads(response["body"])


def _base64(event: dict[str, Any], raw: bytes) -> dict[str, Any]:
    return {**event, "body": base64.b64encode(raw).decode(), "isBase64Encoded": True}


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("event", "status", "fields"),
    [
        (api_event("POST", "/rules", "--x\r\n", headers={"Content-Type": "multipart/form-data"}), 415, []),
        (api_event("POST", "/rules", "a=1", headers={"Content-Type": "text/plain"}), 415, []),
        (api_event("POST", "/alerts/x/ack", None, headers={"Content-Type": "multipart/form-data"}), 415, []),
        (api_event("POST", "/rules", DEEP), 400, ["body"]),
        (api_event("POST", "/rules", '{"name": ' + DEEP + "}"), 400, ["body"]),
        (_base64(api_event("POST", "/rules"), b'{"name": "\xff\xfe"}'), 400, ["body"]),
        ({**api_event("POST", "/rules"), "body": "%%%not base64", "isBase64Encoded": True}, 400, ["body"]),
        (api_event("POST", "/rules", '{"version": 1' + "0" * 5000 + "}"), 400, ["body"]),  # json.loads refuses it
        (api_event("PUT", "/rules/x", '{"threshold": -' + "9" * 4301 + "}"), 400, ["body"]),
    ],
    ids=[
        "multipart-without-boundary",
        "text-plain",
        "empty-multipart",
        "deep-array",
        "deep-in-object",
        "not-utf8",
        "not-base64",
        "integer-of-5001-digits",
        "negative-integer-of-4301-digits",
    ],
)
def test_unparseable_request_is_4xx_with_the_error_body(api, event, status, fields):
    code, body = _send(event)

    assert code == status, body
    assert [e["field"] for e in body.get("errors", [])] == fields
    assert body["correlation_id"] == event["requestContext"]["requestId"]


def test_base64_encoded_json_is_still_accepted(api):
    event = _base64(api_event("POST", "/rules"), json.dumps(spec()).encode())

    code, body = _send(event)

    assert code == 201, body


def test_deep_but_reasonable_json_reaches_validation(api):
    # 60 levels in a label value: not too deep, just not a rule
    code, body = _send(api_event("POST", "/rules", json.dumps(spec(labels={"x": json.loads("[" * 60 + "]" * 60)}))))

    assert code == 422, body
