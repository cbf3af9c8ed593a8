"""PagerDuty's Events API v2, compatible (§17, docs/sources.md): `POST /v2/enqueue`, so anything
that can page PagerDuty (Alertmanager's `pagerduty_configs`, Grafana, EventBridge API
destinations...) pages us by changing one URL.

The key is the event's `routing_key` (in the body, where PagerDuty has it): an `events`
integration's. Every answer is PagerDuty's: 202 `{"status": "success", "message": "Event
processed", "dedup_key"}`, and each refusal `{"status", "message", "errors": [...]}`: an invalid
event 400 (each field at fault named), a wrong key 401 (PagerDuty says 400 "Invalid routing key";
ours is the ingest API's 401, in PagerDuty's shape), a key of another kind or a disabled
integration 403, the integration's rate used up 429 with `Retry-After`, over 1 MB 413.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from pydantic import BaseModel

from alerting.errors import ConcurrentUpdate, InvalidInput, RateLimited
from alerting.lifecycle.signals import signal_labels
from alerting.models.alerts import AlertSource
from alerting.models.common import utcnow
from alerting.models.integrations import IntegrationType
from alerting.models.signals import Signal
from alerting.sources.events_api import MAX_EVENT_BYTES, Acknowledgement, Event, command, routing_key
from ingest.dependencies import services
from ingest.errors import ErrorShape, Refusal, refusal_headers
from ingest.gate import UNKNOWN, Door, KeyIn, admitted, integrations
from ingest.observability import logger, metrics
from ingest.routes import new_router

PREFIX = "/v2"
TAGS = ["PagerDuty Events API v2"]
router = new_router()


class Accepted(BaseModel):
    status: str = "success"
    message: str = "Event processed"
    dedup_key: str  # the event's, or the one made up for a trigger without one: send it to resolve


class PagerDutyError(BaseModel):
    """PagerDuty's refusal: a short status, a message, and one entry per problem."""

    status: str
    message: str
    errors: list[str] = []


@router.post(
    "/enqueue",
    status_code=202,
    tags=TAGS,
    summary="Trigger, acknowledge or resolve an alert by its dedup_key",
    description="PagerDuty's Events API v2: `routing_key` is an events integration's key.",
    responses={
        202: {"description": "Event processed", "content": {"application/json": {"model": Accepted}}},
        400: {"description": "Invalid event", "content": {"application/json": {"model": PagerDutyError}}},
    },
)
def enqueue(event: Annotated[Event, Body()]) -> Accepted:
    if len((router.current_event.decoded_body or "").encode()) > MAX_EVENT_BYTES:
        raise InvalidInput("body", f"the event is larger than PagerDuty's {MAX_EVENT_BYTES} bytes")
    now = utcnow()
    integration = admitted().integration
    action = command(event, integration, now, new_key=uuid.uuid4().hex)
    try:
        outcome = apply(action, now)
    except ConcurrentUpdate:  # lost three races in a row (e.g. reopened within its second): PagerDuty's "retry"
        raise RateLimited("the alert kept changing while this event was applied; retry", 1) from None
    metrics.add_metric(name=f"Events{outcome.capitalize()}", unit=MetricUnit.Count, value=1)
    logger.info(
        "event",
        extra={"action": event.event_action.value, "outcome": outcome, "integration": integration.integration_id},
    )
    return Accepted(dedup_key=action.key)


def apply(action: Signal | Acknowledgement, now: datetime) -> str:
    """What the lifecycle made of it: a signal's outcome, `acknowledged` or `unchanged`."""
    found = services()
    if isinstance(action, Acknowledgement):
        acknowledged = found.lifecycle.acknowledge_opened(action.fingerprint, AlertSource.events.value, now)
        return "unchanged" if acknowledged is None else "acknowledged"
    return found.lifecycle.receive(action, found.route(signal_labels(action)), now).value


# -- the door and the refusals --------------------------------------------------------------------


def body_key(request: APIGatewayProxyEvent, tail: str) -> str | None:
    return routing_key(request.decoded_body or "")


STATUSES = {
    HTTPStatus.UNAUTHORIZED: "invalid routing key",
    HTTPStatus.FORBIDDEN: "invalid routing key",
    HTTPStatus.NOT_FOUND: "not found",
    HTTPStatus.TOO_MANY_REQUESTS: "throttled",
}


def render(refusal: Refusal) -> Response[str]:
    """A refusal as PagerDuty words one; request validation's 422 is PagerDuty's 400."""
    status = HTTPStatus.BAD_REQUEST if refusal.status == HTTPStatus.UNPROCESSABLE_ENTITY else refusal.status
    errors = [_problem(field, message) for field, message in refusal.fields] or [refusal.message]
    message = refusal.message
    if status == HTTPStatus.BAD_REQUEST:
        message = "Event object is invalid"
    elif status == HTTPStatus.UNAUTHORIZED:
        message = "Invalid routing key"
        missing = refusal.message != UNKNOWN
        errors = [f"'routing_key' is {'missing or blank' if missing else 'unknown or revoked'}"]
    elif status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        message, errors = "internal error", []
    body = PagerDutyError(
        status=STATUSES.get(status, "invalid event" if status < 500 else "error"), message=message, errors=errors
    )
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump_json(),
        headers=refusal_headers(refusal),
    )


def _problem(field: str, message: str) -> str:
    if field == "body":  # the event as a whole (a trigger without its payload, a body that is no event)
        return message
    message = "is missing or blank" if message == "Field required" else message
    return f"'{field}' {message}" if message.startswith("is ") else f"'{field}': {message}"


ERRORS = ErrorShape(render, "PagerDutyError", PagerDutyError.model_json_schema())
DOOR = Door(KeyIn(body_key), integrations(IntegrationType.events))
