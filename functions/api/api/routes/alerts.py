"""/alerts: list and read, history and deliveries, acknowledge and resolve by hand."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from alerting.audit import note_of
from alerting.models.alerts import Alert, AlertSource, Transition
from alerting.models.channels import DeliveryRecord
from alerting.models.common import ID_PATTERN, AlertStatus, Page, Severity, UtcDatetime, utcnow
from alerting.repositories.alerts import AlertFilter
from api.dependencies import services
from api.observability import logger
from api.routes import DEFAULT_LIMIT, Id, Limit, NextToken, audited, caller, new_router
from api.schemas import AckAction, AlertAction

router = new_router()
TAGS = ["alerts"]


@router.get("/alerts", tags=TAGS, summary="List alerts, newest first")
def list_alerts(
    status: Annotated[AlertStatus | None, Query()] = None,
    severity: Annotated[Severity | None, Query()] = None,
    source: Annotated[AlertSource | None, Query(description="rule, cloudwatch, prometheus, events, heartbeat")] = None,
    rule_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    since: Annotated[UtcDatetime | None, Query(description="Started at or after (ISO-8601)")] = None,
    until: Annotated[UtcDatetime | None, Query(description="Started at or before (ISO-8601)")] = None,
    limit: Limit = DEFAULT_LIMIT,
    next_token: NextToken = None,
) -> Page[Alert]:
    filters = AlertFilter(status=status, severity=severity, source=source, rule_id=rule_id, since=since, until=until)
    return services().alerts.page(filters, limit, next_token, utcnow())


@router.get("/alerts/<alert_id>", tags=TAGS, summary="Get an alert")
def get_alert(alert_id: Id) -> Alert:
    return services().alerts.get(alert_id)


@router.get("/alerts/<alert_id>/history", tags=TAGS, summary="An alert's transitions, oldest first")
def alert_history(alert_id: Id) -> Page[Transition]:
    return services().alerts.history(alert_id)


@router.get("/alerts/<alert_id>/deliveries", tags=TAGS, summary="An alert's deliveries per transition and channel")
def alert_deliveries(alert_id: Id) -> Page[DeliveryRecord]:
    return services().alerts.deliveries(alert_id)


@router.post("/alerts/<alert_id>/ack", tags=TAGS, summary="Acknowledge a firing alert")
def acknowledge_alert(alert_id: Id, body: AckAction) -> Alert:
    actor = caller(router)
    note = note_of(body.by, body.note, actor)
    alert = services().alerts.acknowledge(alert_id, actor, note, utcnow(), body.expires_in_seconds)
    return _audited("ack", alert, note)


@router.post("/alerts/<alert_id>/unack", tags=TAGS, summary="Return an acknowledged alert to firing")
def unacknowledge_alert(alert_id: Id, body: AlertAction) -> Alert:
    note = note_of(body.by, body.note, caller(router))
    return _audited("unack", services().alerts.unacknowledge(alert_id, caller(router), note, utcnow()), note)


@router.post("/alerts/<alert_id>/resolve", tags=TAGS, summary="Resolve an open alert by hand")
def resolve_alert(alert_id: Id, body: AlertAction) -> Alert:
    note = note_of(body.by, body.note, caller(router))
    return _audited("resolve", services().alerts.resolve(alert_id, caller(router), note, utcnow()), note)


def _audited(action: str, alert: Alert, note: str) -> Alert:
    audited(router, action, f"alert/{alert.alert_id}", after={"status": alert.status.value}, note=note)
    logger.info(f"alert {action}", extra={"alert_id": alert.alert_id, "by": caller(router)})
    return alert
