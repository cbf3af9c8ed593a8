"""One Powertools `Router` per resource; the handler includes them all."""

from __future__ import annotations

from typing import Annotated, cast

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from alerting.models.common import ID_PATTERN

Id = Annotated[str, Path(pattern=ID_PATTERN, description="[a-z0-9][a-z0-9-]{0,63}")]
Limit = Annotated[int, Query(ge=1, le=100, description="Page size (1-100)")]
NextToken = Annotated[str | None, Query(max_length=2048, description="`next_token` of the previous page")]
IfMatch = Annotated[str | None, Header(alias="If-Match", description='The version you read, e.g. "3"')]
DEFAULT_LIMIT = 50


def new_router() -> Router:
    return Router()  # type: ignore[no-untyped-call]  # Powertools leaves __init__ unannotated


def caller(router: Router) -> str:
    """Who made the request, recorded as the actor of side effects: a dashboard user's Cognito
    identity (they all share one role session), else the IAM caller's ARN."""
    identity = cast(APIGatewayProxyEvent, router.current_event).request_context.identity
    return identity.cognito_identity_id or identity.user_arn or identity.caller or "api"
