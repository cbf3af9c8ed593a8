"""One Powertools `Router` per resource; the handler includes them all."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from pydantic import BaseModel

from alerting.audit import change_of
from alerting.models.common import ID_PATTERN, utcnow
from api.dependencies import services
from api.identity import Caller, caller_of

Id = Annotated[str, Path(pattern=ID_PATTERN, description="[a-z0-9][a-z0-9-]{0,63}")]
Limit = Annotated[int, Query(ge=1, le=100, description="Page size (1-100)")]
NextToken = Annotated[str | None, Query(max_length=2048, description="`next_token` of the previous page")]
IfMatch = Annotated[str | None, Header(alias="If-Match", description='The version you read, e.g. "3"')]
DEFAULT_LIMIT = 50


def new_router() -> Router:
    return Router()  # type: ignore[no-untyped-call]  # Powertools leaves __init__ unannotated


def who(router: Router) -> Caller:
    """Who made the request (`api.identity`): as API Gateway authenticated them, never a body field."""
    return caller_of(router.current_event.raw_event.get("requestContext") or {})


def caller(router: Router) -> str:
    """The actor of the request's side effects (history, audit, a silence's `created_by`)."""
    return who(router).actor


def audited(
    router: Router, action: str, resource: str, *, before: Any = None, after: Any = None, note: str = ""
) -> None:
    """An audit entry for a write this request made: `<kind>/<id>`, and what changed between the
    views ``before`` and ``after`` (what the API shows: secrets never)."""
    change = change_of(_shown(before), _shown(after))
    services().audit.record(caller(router), action, resource, utcnow(), change=change, note=note)


def _shown(view: Any) -> dict[str, Any] | None:
    return view.model_dump(mode="json") if isinstance(view, BaseModel) else view
