"""Every error becomes an HTTP response here, and only here.

Body: `{"message": "...", "errors": [{"field": "conditions.0.threshold", "message": "..."}],
"correlation_id": "<API Gateway request id>"}`; `errors` only when fields are at fault.
Request validation and templates that fail on a sample alert → 422, other domain validation
(`InvalidInput`) → 400, unknown id → 404,
duplicate id / stale version / an action the state does not allow → 409, a used-up quota → 429
with `Retry-After`, CloudWatch failing a read → 503, anything else → 500 with no detail (the log
has it, under the same correlation id).
"""

from __future__ import annotations

import base64
import binascii
import re
import sys
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from alerting import json_limits
from alerting.errors import (
    AlreadyExists,
    ConcurrentUpdate,
    Conflict,
    InvalidInput,
    InvalidTemplate,
    MetricsUnavailable,
    NotFound,
    RateLimited,
)
from alerting.validation import field_errors
from api.observability import logger
from api.schemas import ErrorBody, FieldError

_SOURCES = ("body", "query", "path", "header", "cookie")


class InvalidFields(Exception):
    """Fields that failed validation inside a service (a channel's type-specific target)."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors))
        self.errors = errors


def request_errors(errors: Sequence[Mapping[str, Any]]) -> list[FieldError]:
    """Powertools/pydantic request errors → one entry per offending field, with its message.

    Locations drop their source (`body`, `query`...); the naming itself is the core's
    (`alerting.validation.field_errors`), shared with the rules-as-code CLI.
    """
    out: list[FieldError] = []
    located = []
    for error in errors:
        loc = list(error.get("loc", ()))
        if loc and loc[0] in _SOURCES:
            loc = loc[1:]
        if error.get("type") == "json_invalid":
            out.append(FieldError(field="body", message=f"invalid JSON: {error.get('ctx', {}).get('error', '')}"))
        elif error.get("type") == "missing" and not loc:
            out.append(FieldError(field="body", message="a JSON body is required"))
        else:
            located.append({**error, "loc": loc})
    out.extend(FieldError(field=field, message=message) for field, message in field_errors(located))
    return out


def classify(exc: Exception, event: APIGatewayProxyEvent) -> tuple[HTTPStatus, str, list[FieldError]]:
    """The status, message and offending fields of an exception: the whole mapping, in order."""
    match exc:
        case RequestValidationError():
            # Powertools' own 422 body drops the validators' messages; ours names each field.
            return HTTPStatus.UNPROCESSABLE_ENTITY, "invalid request", request_errors(exc.errors())
        case InvalidFields():
            fields = [FieldError(field=f, message=m) for f, m in exc.errors]
            return HTTPStatus.UNPROCESSABLE_ENTITY, "invalid request", fields
        case InvalidTemplate():
            fields = [FieldError(field=exc.field, message=exc.message)]
            return HTTPStatus.UNPROCESSABLE_ENTITY, "invalid request", fields
        case InvalidInput():
            return HTTPStatus.BAD_REQUEST, str(exc), [FieldError(field=exc.field, message=exc.message)]
        case RequestUnsupportedContentType():
            return HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send the body as application/json", []
        case NotFound():
            return HTTPStatus.NOT_FOUND, str(exc), []
        case NotFoundError():  # Powertools: no route matches
            return HTTPStatus.NOT_FOUND, f"no route for {event.http_method} {event.path}", []
        case ServiceError():
            return HTTPStatus(exc.status_code), str(exc.msg), []
        case AlreadyExists():
            return HTTPStatus.CONFLICT, str(exc), []
        case ConcurrentUpdate():
            return HTTPStatus.CONFLICT, "the item kept changing while this request was applied; retry", []
        case Conflict():
            return HTTPStatus.CONFLICT, str(exc), []
        case RateLimited():  # Retry-After: see `install`
            return HTTPStatus.TOO_MANY_REQUESTS, str(exc), []
        case MetricsUnavailable():  # CloudWatch refused or failed (a backtest's reads, a fleet's listing)
            return HTTPStatus.SERVICE_UNAVAILABLE, str(exc), []
    return HTTPStatus.INTERNAL_SERVER_ERROR, "internal error", []


# json.loads refuses an integer of more digits than this with a ValueError that Powertools,
# expecting a JSONDecodeError, lets through as a 500.
_LONG_INTEGER = re.compile(rf"[0-9]{{{sys.get_int_max_str_digits() + 1},}}")


def malformed(event: dict[str, Any]) -> tuple[HTTPStatus, str, list[FieldError]] | None:
    """What is wrong with a request that cannot even be parsed, before the resolver tries (and
    fails with a 500): a body that is not UTF-8, not JSON-typed, nested absurdly deep, or holding
    an integer too long for ``json.loads``."""
    body = event.get("body")
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    media_type = (headers.get("content-type") or "application/json").split(";", 1)[0].strip().lower()
    if not body:
        # An empty body is fine, unless it claims a type the resolver would try to parse (a
        # multipart body without parts fails inside Powertools).
        if media_type != "application/json" and event.get("httpMethod") in ("POST", "PUT", "PATCH"):
            return HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send the body as application/json", []
        return None
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return HTTPStatus.BAD_REQUEST, "invalid request", [FieldError(field="body", message="not UTF-8 text")]
    if media_type != "application/json":
        return HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send the body as application/json", []
    if json_limits.depth_exceeds(body):
        message = f"nested deeper than {json_limits.MAX_DEPTH} levels"
        return HTTPStatus.BAD_REQUEST, "invalid request", [FieldError(field="body", message=message)]
    if _LONG_INTEGER.search(body):  # rare: worth a parse to tell a long number from a long string
        try:
            json_limits.loads(body)
        except ValueError as exc:
            return HTTPStatus.BAD_REQUEST, "invalid request", [FieldError(field="body", message=str(exc))]
    return None


def refusal(event: dict[str, Any]) -> dict[str, Any] | None:
    """The proxy response for a malformed request (see ``malformed``), else None."""
    found = malformed(event)
    if found is None:
        return None
    status, message, fields = found
    request_id = (event.get("requestContext") or {}).get("requestId", "")
    body = ErrorBody(message=message, errors=fields, correlation_id=request_id)
    logger.info("request refused", extra={"status": int(status), "error": message, "fields": [f.field for f in fields]})
    return {
        "statusCode": int(status),
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": body.model_dump_json(exclude_defaults=True),
        "isBase64Encoded": False,
    }


def install(app: APIGatewayRestResolver) -> None:
    """One handler for every exception (Powertools looks handlers up along the MRO)."""

    def handle(exc: Exception) -> Response[dict[str, Any]]:
        event = app.current_event
        status, message, fields = classify(exc, event)
        body = ErrorBody(message=message, errors=fields, correlation_id=event.request_context.request_id)
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            logger.exception("unhandled error")
        else:
            logger.info(
                "request refused",
                extra={"status": int(status), "error": message, "fields": [f.field for f in fields]},
            )
        return Response(
            status_code=status,
            content_type=content_types.APPLICATION_JSON,
            body=body.model_dump(exclude_defaults=True),
            headers={"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None,
        )

    app.exception_handler(Exception)(handle)
