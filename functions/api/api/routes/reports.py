"""/summary and /health."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from alerting.models.common import UtcDatetime, utcnow
from alerting.models.reports import AlertSummary
from api.dependencies import services
from api.routes import new_router
from api.schemas import HealthReport

router = new_router()


@router.get("/summary", tags=["reports"], summary="Alert counts, MTTA, MTTR and the noisiest rules")
def summary(
    since: Annotated[UtcDatetime | None, Query(description="ISO-8601; default 24 hours ago")] = None,
) -> AlertSummary:
    return services().reports.summary(since, utcnow())


@router.get("/health", tags=["reports"], summary="Evaluator lag and errors, dead-letter depth, version")
def health() -> HealthReport:
    return services().reports.health(utcnow())
