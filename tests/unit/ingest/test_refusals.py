"""What the ingest API refuses before anything reads a body, and how keys stay out of what it
says and logs."""

from __future__ import annotations

import base64
import json
from http import HTTPStatus

import pytest

from alerting.errors import RateLimited, Unauthorized
from alerting.models.integrations import new_key
from ingest.errors import INGEST_ERRORS, MAX_BODY_BYTES, Refusal, malformed, proxy, redact, refusal_of


def event(body: str | None, encoded: bool = False) -> dict[str, object]:
    return {"body": body, "isBase64Encoded": encoded}


@pytest.mark.parametrize(
    ("body", "encoded", "status"),
    [
        (None, False, None),
        ("x" * MAX_BODY_BYTES, False, None),
        ("x" * (MAX_BODY_BYTES + 1), False, HTTPStatus.REQUEST_ENTITY_TOO_LARGE),
        ("é" * (MAX_BODY_BYTES // 2 + 1), False, HTTPStatus.REQUEST_ENTITY_TOO_LARGE),  # bytes, not characters
        (base64.b64encode(b"x" * MAX_BODY_BYTES).decode(), True, None),
        (base64.b64encode(b"x" * (MAX_BODY_BYTES + 1)).decode(), True, HTTPStatus.REQUEST_ENTITY_TOO_LARGE),
        (base64.b64encode(b"\xff\xfe").decode(), True, HTTPStatus.BAD_REQUEST),  # not UTF-8
        ("not base64!", True, HTTPStatus.BAD_REQUEST),
        ("[" * 65 + "]" * 65, False, HTTPStatus.BAD_REQUEST),  # deeper than json_limits allows
        ('{"n": ' + "9" * 5000 + "}", False, HTTPStatus.BAD_REQUEST),  # json.loads refuses the integer
        ('{"labels": {"a": "[[[["}}', False, None),
    ],
)
def test_malformed_refuses_bodies_too_large_or_unreadable(body: str | None, encoded: bool, status: int | None) -> None:
    found = malformed(event(body, encoded))
    assert (found.status if found else None) == status


def test_redact_masks_every_key_in_a_path_or_message() -> None:
    key = new_key()
    assert redact(f"no route for GET /ping/{key}/fail") == "no route for GET /ping/ak_***/fail"
    assert key not in redact(f"{key} {key}")


def test_refusals_carry_how_to_authenticate_and_when_to_retry() -> None:
    unauthorized = INGEST_ERRORS.render(refusal_of(Unauthorized("unknown or revoked key"), "POST", "/x"))
    throttled = INGEST_ERRORS.render(refusal_of(RateLimited("slow down", 3), "POST", "/x"))

    assert unauthorized.headers["WWW-Authenticate"].startswith("Bearer")
    assert throttled.headers["Retry-After"] == "3"
    assert json.loads(str(throttled.body)) == {"message": "slow down"}


def test_an_unforeseen_error_is_a_500_that_says_nothing_more() -> None:
    refusal = refusal_of(RuntimeError(f"boom {new_key()}"), "GET", "/x")
    assert (refusal.status, refusal.message) == (HTTPStatus.INTERNAL_SERVER_ERROR, "internal error")


def test_a_refusal_made_before_the_resolver_is_a_lambda_proxy_answer() -> None:
    refusal = Refusal(HTTPStatus.TOO_MANY_REQUESTS, "slow down", retry_after=2, correlation_id="r-1")

    answer = proxy(INGEST_ERRORS.render(refusal))

    assert answer == {
        "statusCode": 429,
        "headers": {"Content-Type": "application/json", "Retry-After": "2"},
        "body": '{"message":"slow down","correlation_id":"r-1"}',
        "isBase64Encoded": False,
    }
