"""One audit entry: who changed what, when, and how (a bounded summary, never a secret)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from alerting.models.common import Model, UtcDatetime


class AuditEntry(Model):
    entry_id: str  # unique within its instant: entries of one millisecond keep their order and all count
    at: UtcDatetime
    actor: Annotated[str, Field(description="Who authenticated: cognito:<sub>, an IAM ARN, slack:<user>, channel:<id>")]
    action: Annotated[str, Field(description="create, update, delete, ack, unack, resolve, expire, rotate, test...")]
    resource: Annotated[str, Field(description="<kind>/<id>, e.g. rule/cpu-high or alert/3f2a")]
    change: Annotated[dict[str, Any], Field(description="What changed: a field's new value, or {from, to}")] = {}
    note: Annotated[str, Field(description="What the caller said (a body's `by`, a comment)")] = ""
