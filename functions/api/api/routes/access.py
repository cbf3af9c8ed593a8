"""/me: who the request's signer is and their role (the dashboard hides what that role cannot
do); /audit: every write, newest first (admins)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.exceptions import ForbiddenError
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import Field

from alerting.models.audit import AuditEntry
from alerting.models.common import Model, Page, UtcDatetime, utcnow
from alerting.repositories.audit import AuditFilter
from api.dependencies import services
from api.identity import Role
from api.routes import DEFAULT_LIMIT, Limit, NextToken, new_router, who

router = new_router()


class Me(Model):
    actor: Annotated[str, Field(description="How history and the audit log name you")]
    role: Annotated[
        Role | None,
        Field(
            description="viewer, responder or admin (a dashboard sign-in); null: an IAM principal's own policy decides"
        ),
    ]


@router.get("/me", tags=["access"], summary="Who signed this request, and their role")
def get_me() -> Me:
    caller = who(router)
    return Me(actor=caller.actor, role=caller.role)


@router.get("/audit", tags=["access"], summary="The audit log, newest first (admins)")
def list_audit(
    since: Annotated[UtcDatetime | None, Query(description="At or after (ISO-8601; at most 400 days ago)")] = None,
    until: Annotated[UtcDatetime | None, Query(description="At or before (ISO-8601)")] = None,
    actor: Annotated[str | None, Query(max_length=300, description="Exactly this actor")] = None,
    resource: Annotated[
        str | None, Query(max_length=200, description="A kind (`rule`) or one resource (`rule/cpu-high`)")
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    next_token: NextToken = None,
) -> Page[AuditEntry]:
    # API Gateway lets only the admin role's signers here; this says no to a dashboard role again.
    if who(router).role not in (None, "admin"):
        raise ForbiddenError("the audit log is for admins")
    filters = AuditFilter(since=since, until=until, actor=actor, resource=resource)
    return services().audit.page(filters, limit, next_token, utcnow())
