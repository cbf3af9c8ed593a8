"""/silences: for a while, matching alerts are recorded but not notified."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from alerting.models.common import Page, utcnow
from alerting.models.silences import Silence, SilenceSpec, SilenceState
from api.dependencies import services
from api.routes import DEFAULT_LIMIT, Id, Limit, NextToken, new_router

router = new_router()
TAGS = ["silences"]


@router.post("/silences", status_code=201, tags=TAGS, summary="Create a silence")
def create_silence(spec: SilenceSpec) -> Silence:
    return services().silences.create(spec, utcnow())


@router.get("/silences", tags=TAGS, summary="List silences")
def list_silences(
    state: Annotated[SilenceState | None, Query(description="pending, active or expired")] = None,
    limit: Limit = DEFAULT_LIMIT,
    next_token: NextToken = None,
) -> Page[Silence]:
    return services().silences.page(state, limit, next_token, utcnow())


@router.get("/silences/<silence_id>", tags=TAGS, summary="Get a silence")
def get_silence(silence_id: Id) -> Silence:
    return services().silences.get(silence_id)


@router.delete(
    "/silences/<silence_id>", status_code=204, tags=TAGS, summary="Expire a silence now (it is kept for the record)"
)
def expire_silence(silence_id: Id) -> Response[None]:
    services().silences.expire(silence_id, utcnow())
    return Response(status_code=204)
