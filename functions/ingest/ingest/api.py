"""IngestApiFunction: the ingest API (§16, `IngestApi` in the template; public, keyed), where
outside systems send alerts and heartbeats, one protocol per path prefix.

A request is answered in this order: its body's size and form (413, 400), the door of the
protocol whose prefix its path is under (the key: 401, 403; the integration's rate: 429), then
the protocol's route (Powertools, with request validation). `GET /openapi.json` needs no key,
nor does a `SIGNED` protocol's request (its route checks the request's own proof).

A protocol is a router in its own module (`ingest/routes/`) and one line in `PROTOCOLS`::

    Protocol("/ping", ping.router, Door(PATH, accepts=...)),
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from alerting.errors import AlertingError, Forbidden, RateLimited, Unauthorized
from alerting.models.common import utcnow
from alerting.settings import IngestApiSettings
from ingest import openapi
from ingest.dependencies import Services, given, services
from ingest.errors import INGEST_ERRORS, ErrorShape, Refusal, malformed, proxy, redact, refusal_of
from ingest.gate import Admitted, Door, let_in
from ingest.observability import logger, metrics, tracer
from ingest.routes import ack, alertmanager, events, ping, slack

DOOR_REFUSALS = (Unauthorized, Forbidden, RateLimited)


@dataclass(frozen=True)
class Protocol:
    prefix: str  # "/api/v2": where its routes' paths are; every request below it shows a key
    router: Router
    door: Door = field(default_factory=Door)
    errors: ErrorShape = INGEST_ERRORS  # how its refusals look (the door's among them)


PROTOCOLS: tuple[Protocol, ...] = (
    Protocol(events.PREFIX, events.router, events.DOOR, events.ERRORS),
    Protocol(ping.PREFIX, ping.router, ping.DOOR),
    Protocol(alertmanager.PREFIX, alertmanager.router, alertmanager.DOOR, alertmanager.ERRORS),
    Protocol(ack.PREFIX, ack.router, ack.DOOR, ack.ERRORS),
    Protocol(slack.PREFIX, slack.router, slack.DOOR, slack.ERRORS),
)


class IngestApp:
    """The protocols' routes on one Powertools resolver, each behind its protocol's door."""

    def __init__(self, protocols: Sequence[Protocol]) -> None:
        self.protocols = tuple(protocols)
        # A response that fails its own model is our bug: 500, not a 422 blamed on the caller.
        self.resolver = APIGatewayRestResolver(
            enable_validation=True, response_validation_error_http_code=HTTPStatus.INTERNAL_SERVER_ERROR
        )
        for protocol in self.protocols:
            self.resolver.include_router(protocol.router, prefix=protocol.prefix)
        self.resolver.exception_handler(Exception)(self._refuse)

        def get_openapi() -> dict[str, Any]:
            return self.document(IngestApiSettings.from_env().version)

        self.resolver.get("/openapi.json", summary="This API's OpenAPI document", tags=["document"])(get_openapi)

    def protocol_of(self, path: str) -> Protocol | None:
        return next((p for p in self.protocols if openapi.under(path, p.prefix)), None)

    def respond(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        request = APIGatewayProxyEvent(event)
        protocol = self.protocol_of(request.path)
        refusal = malformed(event)
        admitted: Admitted | None = None
        if refusal is None and protocol is not None and protocol.door.key is not None:
            try:
                admitted = self._admit(protocol, request)
            except DOOR_REFUSALS as exc:
                refusal = refusal_of(exc, request.http_method, request.path)
        if refusal is not None:
            refusal = replace(refusal, correlation_id=request.request_context.request_id)
            log_refusal(refusal, request)
            return proxy((protocol.errors if protocol else INGEST_ERRORS).render(refusal))
        undo = let_in(admitted)
        try:
            return self.resolver.resolve(event, context)
        finally:
            undo()

    def _admit(self, protocol: Protocol, request: APIGatewayProxyEvent) -> Admitted:
        assert protocol.door.key is not None  # a signed protocol's routes check each request themselves
        key = protocol.door.key.read(request, request.path[len(protocol.prefix) :])
        admitted = services().gate.admit(key, protocol.door.accepts, utcnow())
        logger.append_keys(key_owner=admitted.subject)  # never the key: whose it is
        return admitted

    def _refuse(self, exc: Exception) -> Response[str]:
        request = self.resolver.current_event
        refusal = refusal_of(exc, request.http_method, request.path)
        refusal = replace(refusal, correlation_id=request.request_context.request_id)
        if refusal.status >= HTTPStatus.INTERNAL_SERVER_ERROR and not isinstance(exc, AlertingError):
            logger.exception("unhandled error", extra={"path": redact(request.path)})
        else:
            log_refusal(refusal, request)
        protocol = self.protocol_of(request.path)
        return (protocol.errors if protocol else INGEST_ERRORS).render(refusal)

    @cache  # noqa: B019 (one app per container, as long as it runs)
    def document(self, version: str) -> dict[str, Any]:
        """Made once per container, on its first request for it: the routes do not change while it runs."""
        return openapi.document(self.resolver, self.protocols, version)


def log_refusal(refusal: Refusal, request: APIGatewayProxyEvent) -> None:
    logger.info(
        "request refused",
        extra={
            "status": int(refusal.status),
            "error": redact(refusal.message),
            "fields": [f for f, _ in refusal.fields],
            "method": request.http_method,
            "path": redact(request.path),
        },
    )


app = IngestApp(PROTOCOLS)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext, services: Services | None = None) -> dict[str, Any]:
    """``services``: what the door and routes talk to (a test's own); by default built once per container."""
    token = given.set(services)
    try:
        response = app.respond(event, context)
    finally:
        given.reset(token)
        logger.remove_keys(["key_owner"])
    metrics.add_metric(name=f"IngestResponses{response['statusCode'] // 100}xx", unit=MetricUnit.Count, value=1)
    if response["statusCode"] == HTTPStatus.TOO_MANY_REQUESTS:
        metrics.add_metric(name="IngestThrottled", unit=MetricUnit.Count, value=1)
    return response
