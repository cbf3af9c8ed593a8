"""Page tokens are opaque to clients, but they are still client input."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import ClientError

from alerting.errors import InvalidInput
from alerting.repositories.dynamo import error_code


@contextmanager
def checked_token(next_token: str | None) -> Iterator[None]:
    """A token from another listing (or the same one with other filters) decodes fine but makes
    DynamoDB reject the start key: that is a bad request, not a server error."""
    try:
        yield
    except ClientError as exc:
        if next_token and error_code(exc) == "ValidationException":
            raise InvalidInput("next_token", "does not belong to this listing (were the filters changed?)") from None
        raise
