"""An integration as the API shows it: never its key, nor the key's hash; the key once, in the
201 of its creation or rotation."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from alerting.models.common import ResourceId, UtcDatetime
from alerting.models.integrations import IntegrationSpec
from api.schemas import ReadFields

KeyHint = Annotated[str | None, Field(description="The key's last four characters, to tell keys apart")]


class IntegrationView(IntegrationSpec):
    integration_id: ResourceId
    key_hint: KeyHint = None
    version: int
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None


class IntegrationCreated(IntegrationView):
    key: Annotated[
        str | None,
        Field(
            description="The key, shown this once (a cloudwatch integration has none): send it as "
            "`Authorization: Bearer <key>`, or as the password of basic auth"
        ),
    ] = None


class IntegrationUpdate(IntegrationSpec, ReadFields):
    """PUT body: the whole integration, with the version you read (or an `If-Match` header); its
    type cannot change. The key stays (`POST /integrations/{integration_id}/rotate` replaces it)."""

    key_hint: KeyHint = None  # what a GET showed: accepted and ignored
