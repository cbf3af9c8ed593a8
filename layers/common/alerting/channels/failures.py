"""A failed call of a channel → ``DeliveryError``, with the retry decision made once, here:
HTTP statuses (and ``Retry-After``) for the webhook channels, botocore's errors (AWS APIs are
HTTP underneath) for SES, SNS and SMS.

Messages name the channel ("slack webhook answered 500"), never the URL: Slack webhook URLs
and custom webhook URLs are secrets.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from email.utils import parsedate_to_datetime

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from alerting.errors import DeliveryError
from alerting.models.common import utcnow

# Slack answers errors with a bare code ("invalid_payload", "no_service"): safe and useful to keep.
_ERROR_CODE = re.compile(r"^[a-z_]{1,64}$")

# AWS error codes where waiting helps; anything else short of a 429 or 5xx is the request's fault.
_AWS_RETRYABLE = frozenset(
    {
        "Throttling",  # SES
        "Throttled",  # SNS (HTTP 429)
        "KMSThrottling",  # SNS, encrypted topic
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "InternalError",
        "InternalFailure",
    }
)


def status_error(label: str, status: int, retry_after: str | None = None, body: str = "") -> DeliveryError:
    """429 and 5xx are worth retrying (429 after ``Retry-After``); any other status is final."""
    code = body.strip()
    detail = f" ({code})" if _ERROR_CODE.match(code) else ""
    if status == 429:
        return DeliveryError(
            f"{label} answered 429 (rate limited)",
            retryable=True,
            retry_after=parse_retry_after(retry_after, utcnow()),
            status_code=status,
        )
    return DeliveryError(f"{label} answered {status}{detail}", retryable=status >= 500, status_code=status)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` is either delay-seconds or an HTTP-date; None when absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; an obsolete form may lack the zone
        return None
    return max(0.0, (when - now).total_seconds())


def aws_error(label: str, exc: ClientError | BotoCoreError) -> DeliveryError:
    """Classify a botocore failure: throttling, 5xx and connection trouble are retryable."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        detail = str(error.get("Message", ""))[:200]
        return DeliveryError(
            f"{label} failed: {code}" + (f": {detail}" if detail else ""),
            retryable=code in _AWS_RETRYABLE or status == 429 or status >= 500,
            status_code=status or None,
        )
    # Connection refused/reset and timeouts may pass; bad parameters or no credentials will not.
    retryable = isinstance(exc, BotoConnectionError | HTTPClientError)
    return DeliveryError(f"{label} failed: {type(exc).__name__}", retryable=retryable)
