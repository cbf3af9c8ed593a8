"""One exception tree for the whole system.

Adapters translate ``botocore`` and HTTP errors into these; the API maps them to responses in
one place (``api.errors``), the evaluator counts them, the notifier classifies them.

* AlertingError
  - ResourceError: NotFound, AlreadyExists
  - Conflict: LimitReached, ConcurrentUpdate
  - RateLimited
  - Unauthorized, Forbidden
  - InvalidInput: InvalidTemplate
  - TemplateFailure
  - MalformedRecord (also a ValueError)
  - MetricsUnavailable
  - DeliveryError
"""

from __future__ import annotations

from typing import ClassVar


class AlertingError(Exception):
    """Base of every error this system raises on purpose."""


class ResourceError(AlertingError):
    """About one resource, named by its ``kind`` (rule, alert, channel, ...) and ``key``; each
    subclass says in ``problem`` what is wrong with it."""

    problem: ClassVar[str]

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"{kind} {key!r} {self.problem}")
        self.kind = kind
        self.key = key


class NotFound(ResourceError):
    """The addressed rule, alert, channel, ... does not exist."""

    problem = "not found"


class AlreadyExists(ResourceError):
    """A create named an id that is taken."""

    problem = "already exists"


class Conflict(AlertingError):
    """The action does not fit the current state (ack a resolved alert, stale version)."""


class LimitReached(Conflict):
    """A create that would pass a deployment's limit (``limit``: the parameter that sets it)."""

    def __init__(self, what: str, maximum: int, limit: str) -> None:
        super().__init__(f"limit {limit} reached: at most {maximum} {what}; remove one first or raise {limit}")
        self.limit = limit


class ConcurrentUpdate(Conflict):
    """A conditional write lost a race; the caller re-reads and decides again."""


class RateLimited(AlertingError):
    """A quota is used up (the message names it); the next use is allowed in ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unauthorized(AlertingError):
    """A request without a key that lets anyone in (none, unknown, revoked)."""


class Forbidden(AlertingError):
    """A key that lets someone in, but not to this (its integration is disabled, or of another type)."""


class InvalidInput(AlertingError):
    """Input that passed parsing but fails a rule of the domain; names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InvalidTemplate(InvalidInput):
    """A template that does not parse, or fails or overruns its budget on a sample alert."""


class TemplateFailure(AlertingError):
    """A render failed; the message is safe to record (no alert data, no secrets)."""


class MalformedRecord(AlertingError, ValueError):
    """A stream record or queue message that cannot be read; reported as that record's failure."""


class MetricsUnavailable(AlertingError):
    """CloudWatch could not serve a query (after retries)."""


class DeliveryError(AlertingError):
    """A channel could not deliver. ``retryable`` says whether trying again can help."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.status_code = status_code
