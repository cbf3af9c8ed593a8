"""/silences: for a while, matching alerts are recorded but not notified."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from alerting.kinds import SILENCE
from alerting.models.common import Page, utcnow
from alerting.models.silences import Silence, SilenceState
from api.dependencies import services
from api.routes import DEFAULT_LIMIT, Id, Limit, NextToken, audited, new_router
from api.routes.crud import CREATE, GET, Resource, add_routes

router = new_router()
SILENCES = Resource(SILENCE, "silence", "silences", "silences")
TAGS = [SILENCES.tag]
add_routes(router, SILENCES, (CREATE, GET))  # listed by state; never replaced, and deleting one expires it


@router.get("/silences", tags=TAGS, summary="List silences")
def list_silences(
    state: Annotated[SilenceState | None, Query(description="pending, active or expired")] = None,
    limit: Limit = DEFAULT_LIMIT,
    next_token: NextToken = None,
) -> Page[Silence]:
    return services().silences.page(state, limit, next_token, utcnow())


@router.delete(
    "/silences/<silence_id>", status_code=204, tags=TAGS, summary="Expire a silence now (it is kept for the record)"
)
def expire_silence(silence_id: Id) -> Response[None]:
    services().silences.expire(silence_id, utcnow())
    audited(router, "expire", f"silence/{silence_id}")
    return Response(status_code=204)
