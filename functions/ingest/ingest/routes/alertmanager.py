"""Alertmanager's API v2 (§17, docs/sources.md), under `/api/v2`: Prometheus's
`alertmanager_config`, amtool, karma and Grafana's Alertmanager data source point here.

The key of an `alertmanager` integration: `Authorization: Bearer <key>`, or basic auth with the
key as the password (what Prometheus's `basic_auth` and amtool's `--http.config.file` send).
Every refusal is Alertmanager's: a JSON string saying what is wrong (`"0.labels: at least one
label pair required"`), the door's 401/403/429 and a body over 1 MB (413) included; request
validation's 422 is answered as Alertmanager's 400.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.metrics import MetricUnit

from alerting.errors import ConcurrentUpdate, InvalidInput, RateLimited
from alerting.models.common import utcnow
from alerting.models.integrations import IntegrationType
from alerting.sources.prometheus.gettable import AlertQuery
from alerting.sources.prometheus.postable import MAX_ALERTS
from alerting.sources.prometheus.shapes import (
    AlertGroup,
    AlertmanagerStatus,
    GettableAlert,
    GettableSilence,
    PostableAlert,
    PostableSilence,
    Receiver,
    SilenceCreated,
)
from ingest.alertmanager_service import query_matchers
from ingest.dependencies import services
from ingest.errors import ErrorShape, Refusal, refusal_headers
from ingest.gate import HEADER, Door, admitted, integrations
from ingest.observability import logger, metrics
from ingest.routes import new_router

PREFIX = "/api/v2"
DOOR = Door(HEADER, integrations(IntegrationType.alertmanager))
TAGS = ["Alertmanager API v2"]
router = new_router()

Flag = Annotated[bool, Query(description="Include them (Alertmanager's default: true)")]
Filters = Annotated[
    list[str] | None, Query(alias="filter", description='Matchers, e.g. `alertname="DiskFull"`; repeat for more')
]
ReceiverPattern = Annotated[
    str | None, Query(max_length=1000, description="A regular expression (RE2) the receiver's name matches")
]


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    """The request body's documentation (the route reads the body itself: each alert is checked
    alone), its definitions written in place."""
    definitions = schema.pop("$defs", {})
    text = json.dumps(schema)
    for name, definition in definitions.items():
        text = text.replace(json.dumps({"$ref": f"#/$defs/{name}"}), json.dumps(definition))
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": json.loads(text)}}}}


# -- alerts ----------------------------------------------------------------------------------------


@router.post(
    "/alerts",
    tags=TAGS,
    summary="Post alerts (Prometheus's alertmanager_config)",
    description=f"At most {MAX_ALERTS} alerts; each valid one counts even when others are refused (a 400 naming them).",
    openapi_extensions=_body({"type": "array", "maxItems": MAX_ALERTS, "items": PostableAlert.model_json_schema()}),
)
def post_alerts() -> Response[str]:
    integration = admitted().integration
    try:
        posted, outcomes = services().alertmanager.post_alerts(router.current_event.decoded_body, integration, utcnow())
    except ConcurrentUpdate:  # lost three races in a row: Prometheus sends again at its next resend
        raise RateLimited("the alerts kept changing while these were applied; retry", 1) from None
    for outcome in set(outcomes):
        metrics.add_metric(
            name=f"PrometheusAlerts{outcome.capitalize()}", unit=MetricUnit.Count, value=outcomes.count(outcome)
        )
    logger.info(
        "alerts",
        extra={"integration": integration.integration_id, "alerts": len(outcomes), "refused": len(posted.errors)},
    )
    if posted.errors:
        return render(Refusal(HTTPStatus.BAD_REQUEST, "invalid alerts", tuple(posted.errors)))
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body="")


@router.get("/alerts", tags=TAGS, summary="List the open alerts, of every source")
def get_alerts(
    active: Flag = True,
    silenced: Flag = True,
    inhibited: Flag = True,
    unprocessed: Flag = True,  # none is: every alert is processed as it arrives
    filters: Filters = None,
    receiver: ReceiverPattern = None,
) -> list[GettableAlert]:
    return services().alertmanager.alerts(query(active, silenced, inhibited, filters, receiver), utcnow())


@router.get("/alerts/groups", tags=TAGS, summary="List the open alerts by receiver")
def get_alert_groups(
    active: Flag = True,
    silenced: Flag = True,
    inhibited: Flag = True,
    muted: Flag = True,
    filters: Filters = None,
    receiver: ReceiverPattern = None,
) -> list[AlertGroup]:
    return services().alertmanager.groups(query(active, silenced, inhibited, filters, receiver), utcnow(), muted)


def query(active: bool, silenced: bool, inhibited: bool, filters: list[str] | None, receiver: str | None) -> AlertQuery:
    try:
        return AlertQuery.of(active, silenced, inhibited, query_matchers("filter", filters or []), receiver)
    except ValueError as exc:
        raise InvalidInput("receiver", f"failed to parse receiver param: {exc}") from None


# -- silences --------------------------------------------------------------------------------------


@router.get("/silences", tags=TAGS, summary="List the silences (expired ones for a week)")
def get_silences(filters: Filters = None) -> list[GettableSilence]:
    return services().alertmanager.list_silences(filters or [], utcnow())


@router.post(
    "/silences",
    tags=TAGS,
    summary="Create a silence, or change one by its id",
    description="The same silences as the main API's `/silences`. With an `id`: changed in place where "
    "Alertmanager allows it, else expired and replaced by a new one (its id answered); 404 for an unknown `id`.",
    openapi_extensions=_body(PostableSilence.model_json_schema()),
)
def post_silences() -> SilenceCreated:
    return services().alertmanager.post_silence(router.current_event.decoded_body, utcnow())


@router.get("/silence/<silence_id>", tags=TAGS, summary="Read a silence")
def get_silence(silence_id: str) -> GettableSilence:
    return services().alertmanager.silence(silence_id, utcnow())


@router.delete("/silence/<silence_id>", tags=TAGS, summary="Expire a silence (kept for the record)")
def delete_silence(silence_id: str) -> Response[str]:
    services().alertmanager.expire(silence_id, utcnow())
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body="")


# -- status ----------------------------------------------------------------------------------------


@router.get("/status", tags=TAGS, summary="No cluster; the API's version; the routes as Alertmanager YAML")
def get_status() -> AlertmanagerStatus:
    return services().alertmanager.status()


@router.get("/receivers", tags=TAGS, summary="The receivers: the stack's topic and one per route")
def get_receivers() -> list[Receiver]:
    return services().alertmanager.receivers()


# -- refusals ----------------------------------------------------------------------------------------


def render(refusal: Refusal) -> Response[str]:
    """Alertmanager's refusal: a JSON string; request validation's 422 is its 400."""
    status = HTTPStatus.BAD_REQUEST if refusal.status == HTTPStatus.UNPROCESSABLE_ENTITY else refusal.status
    text = "; ".join(f"{field}: {message}" for field, message in refusal.fields) or refusal.message
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(text),
        headers=refusal_headers(refusal),
    )


ERRORS = ErrorShape(render, "AlertmanagerError", {"type": "string", "description": "What is wrong, in a sentence"})
