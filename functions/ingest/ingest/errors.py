"""How the ingest API says no: a refusal (status, message, offending fields, when to retry) and
the shape each protocol gives it.

Every refusal of a request under a protocol's prefix goes through that protocol's `ErrorShape`:
the door's 401, 403 and 429, a body too large (413) or unreadable (400), request validation
(422), no such route (404). Ours is `{"message", "errors": [{"field", "message"}],
"correlation_id"}`; a protocol that has its own (PagerDuty's `{"status", "message", "errors"}`)
hands its own shape to `ingest.api.Protocol`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from pydantic import BaseModel

from alerting import json_limits
from alerting.errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited, Unauthorized
from alerting.models.integrations import KEY_PREFIX
from alerting.validation import field_errors

MAX_BODY_BYTES = 1024 * 1024  # API Gateway passes up to 10 MB: the handler holds the line
_SOURCES = ("body", "query", "path", "header", "cookie")
_KEYS = re.compile(re.escape(KEY_PREFIX) + r"[A-Za-z0-9_-]+")
# json.loads refuses an integer of more digits than this with a ValueError Powertools lets through as a 500.
_LONG_INTEGER = re.compile(rf"[0-9]{{{sys.get_int_max_str_digits() + 1},}}")


@dataclass(frozen=True)
class Refusal:
    status: HTTPStatus
    message: str
    fields: tuple[tuple[str, str], ...] = ()  # (dotted field, what is wrong with it)
    retry_after: int | None = None  # seconds (a 429)
    correlation_id: str = ""


class FieldError(BaseModel):
    field: str
    message: str


class IngestError(BaseModel):
    """The body of every refusal of a protocol without its own error shape."""

    message: str
    errors: list[FieldError] = []
    correlation_id: str | None = None


@dataclass(frozen=True)
class ErrorShape:
    """How a protocol's refusals look: the response, and (for its OpenAPI document) the body's
    schema under ``name``."""

    render: Callable[[Refusal], Response[str]]
    name: str
    schema: dict[str, Any]


def render_ingest_error(refusal: Refusal) -> Response[str]:
    body = IngestError(
        message=refusal.message,
        errors=[FieldError(field=f, message=m) for f, m in refusal.fields],
        correlation_id=refusal.correlation_id or None,
    )
    return Response(
        status_code=refusal.status,
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump_json(exclude_defaults=True),
        headers=refusal_headers(refusal),
    )


def refusal_headers(refusal: Refusal) -> dict[str, str]:
    """What every protocol's refusal carries: how to authenticate (401), when to retry (429)."""
    if refusal.status == HTTPStatus.UNAUTHORIZED:
        return {"WWW-Authenticate": 'Bearer realm="ingest", Basic realm="ingest"'}
    if refusal.retry_after is not None:
        return {"Retry-After": str(refusal.retry_after)}
    return {}


INGEST_ERRORS = ErrorShape(render_ingest_error, "IngestError", IngestError.model_json_schema())


def redact(text: str) -> str:
    """``text`` (a path, a message) with every key in it masked: what may be logged or answered."""
    return _KEYS.sub(KEY_PREFIX + "***", text)


def refusal_of(exc: Exception, method: str, path: str) -> Refusal:
    """The refusal an exception raised while answering ``method path`` stands for; 500 for
    anything not foreseen."""
    match exc:
        case Unauthorized():
            return Refusal(HTTPStatus.UNAUTHORIZED, str(exc))
        case Forbidden():
            return Refusal(HTTPStatus.FORBIDDEN, str(exc))
        case RateLimited():
            return Refusal(HTTPStatus.TOO_MANY_REQUESTS, str(exc), retry_after=exc.retry_after)
        case RequestValidationError():
            return Refusal(HTTPStatus.UNPROCESSABLE_ENTITY, "invalid request", request_fields(exc.errors()))
        case RequestUnsupportedContentType():
            return Refusal(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send the body as application/json")
        case InvalidInput():
            return Refusal(HTTPStatus.BAD_REQUEST, str(exc), ((exc.field, exc.message),))
        case NotFoundError():  # Powertools: no route matches
            return Refusal(HTTPStatus.NOT_FOUND, f"no route for {method} {redact(path)}")
        case NotFound():
            return Refusal(HTTPStatus.NOT_FOUND, str(exc))
        case Conflict():
            return Refusal(HTTPStatus.CONFLICT, str(exc))
        case ServiceError():
            return Refusal(HTTPStatus(exc.status_code), str(exc.msg))
    return Refusal(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error")


def request_fields(errors: Any) -> tuple[tuple[str, str], ...]:
    """Powertools' request errors, each naming its field without its source (`body`, `query`...)."""
    located = []
    for error in errors:
        loc = list(error.get("loc", ()))
        located.append({**error, "loc": loc[1:] if loc and loc[0] in _SOURCES else loc})
    return tuple(field_errors(located))


def malformed(event: Mapping[str, Any]) -> Refusal | None:
    """What is wrong with a request's body before anything reads it: more than
    ``MAX_BODY_BYTES`` (413), not UTF-8, or JSON that ``json.loads`` would fail on with
    something other than a decoding error (nested absurdly deep, an integer too long)."""
    body = event.get("body")
    if not body:
        return None
    if event.get("isBase64Encoded"):
        if len(body) * 3 // 4 > MAX_BODY_BYTES + 2:
            return too_large()
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return Refusal(HTTPStatus.BAD_REQUEST, "invalid request", (("body", "not UTF-8 text"),))
    if len(body) > MAX_BODY_BYTES or len(body.encode("utf-8")) > MAX_BODY_BYTES:
        return too_large()
    if json_limits.depth_exceeds(body):
        return Refusal(HTTPStatus.BAD_REQUEST, "invalid request", (("body", "nested too deep"),))
    if _LONG_INTEGER.search(body):
        try:
            json.loads(body)
        except ValueError as exc:
            return Refusal(HTTPStatus.BAD_REQUEST, "invalid request", (("body", str(exc)[:200]),))
    return None


def too_large() -> Refusal:
    return Refusal(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"a body is at most {MAX_BODY_BYTES} bytes")


def proxy(response: Response[str]) -> dict[str, Any]:
    """The Lambda proxy answer of a response made before the resolver runs (a door's refusal)."""
    headers = {"Content-Type": response.headers.get("Content-Type", content_types.APPLICATION_JSON)}
    headers.update({k: v for k, v in response.headers.items() if isinstance(v, str)})
    return {
        "statusCode": int(response.status_code),
        "headers": headers,
        "body": response.body,
        "isBase64Encoded": False,
    }
