"""API Lambda: API Gateway REST (IAM auth, `/{proxy+}`) → Powertools resolver → one router per resource."""

from __future__ import annotations

import json
from functools import cache
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from alerting.settings import ApiSettings
from api import errors
from api.dependencies import Services, given
from api.observability import logger, metrics, tracer
from api.routes import (
    access,
    alerts,
    channels,
    dashboard,
    heartbeats,
    integrations,
    oncall,
    reports,
    routing,
    rules,
    silences,
)
from api.schemas import ErrorBody

TITLE = "Serverless Alerting API"
ERROR_REF = "#/components/schemas/ErrorBody"

# A response that fails its own model is our bug: 500, not a 422 blamed on the caller.
app = APIGatewayRestResolver(
    enable_validation=True, response_validation_error_http_code=HTTPStatus.INTERNAL_SERVER_ERROR
)
for module in (
    access,
    rules,
    alerts,
    channels,
    oncall,
    silences,
    routing,
    integrations,
    heartbeats,
    reports,
    dashboard,
):
    app.include_router(module.router)
errors.install(app)


@cache
def openapi_document(version: str) -> str:
    """Generated once per container, on its first request (never on the import path or another
    route's): the routes and models do not change while it runs."""
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn

    text = app.get_openapi_json_schema(
        title=TITLE,
        version=version,
        description="Rules, alerts, channels, summary and health. Requests are SigV4-signed (service "
        "`execute-api`); every error is `{message, errors: [{field, message}], correlation_id}`.",
        security_schemes={
            "sigv4": APIKey(name="Authorization", in_=APIKeyIn.header, description="AWS Signature Version 4")
        },
        security=[{"sigv4": []}],
    )
    # Powertools documents its own 422 and 500 bodies; ours is the one error body of every 4xx and 5xx.
    for own in ("HTTPValidationError", "ResponseValidationError"):
        text = text.replace(f'"#/components/schemas/{own}"', f'"{ERROR_REF}"')
    document = json.loads(text)
    schemas = document["components"]["schemas"]
    for name in ("HTTPValidationError", "ResponseValidationError", "ValidationError"):
        schemas.pop(name, None)
    error_body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error_body.pop("$defs"), ErrorBody=error_body)
    error = {"content": {content_types.APPLICATION_JSON: {"schema": {"$ref": ERROR_REF}}}}
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["responses"].get("204", {}).pop("content", None)  # a 204 has no body
            if "x-query-parameters" in operation:  # what Powertools cannot declare: a free-form query
                operation.setdefault("parameters", []).extend(operation.pop("x-query-parameters"))
            operation["responses"].setdefault("4XX", {"description": "Refused; the body names the fields", **error})
            operation["responses"].setdefault("5XX", {"description": "Internal error", **error})
    return json.dumps(document)


@app.get("/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    version = ApiSettings.from_env().version
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=openapi_document(version))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext, services: Services | None = None) -> dict[str, Any]:
    """``services``: what the routes talk to (a test's own); by default built once per container."""
    token = given.set(services)
    try:
        response: dict[str, Any] = errors.refusal(event) or app.resolve(event, context)
    finally:
        given.reset(token)
    metrics.add_metric(name=f"Responses{response['statusCode'] // 100}xx", unit=MetricUnit.Count, value=1)
    return response
