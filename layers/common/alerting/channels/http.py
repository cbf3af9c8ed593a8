"""The channels' transport: posting JSON over a caller's ``requests.Session``, checking webhook
targets, and turning failed calls (HTTP statuses, and AWS API errors, which are HTTP underneath)
into ``DeliveryError`` with the retry decision made once, here.

Messages name the channel ("slack webhook answered 500"), never the URL: Slack webhook URLs
and custom webhook URLs are secrets. Exceptions are raised ``from None`` so a logged traceback
does not carry the underlying error (whose text includes the URL) either.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import re
import socket
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from alerting import __version__
from alerting.errors import DeliveryError, InvalidInput
from alerting.models.common import utcnow

USER_AGENT = f"serverless-alerting/{__version__}"

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

# urllib3's DEBUG lines carry request paths, and a Slack webhook path is a secret: keep them
# out of the logs even when a function runs at DEBUG (the notifier and the API both send).
logging.getLogger("urllib3").setLevel(logging.INFO)


def post_json(
    session: requests.Session,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    timeout: float,
    *,
    label: str = "webhook",
) -> requests.Response:
    """POST ``body``; return a 2xx response or raise ``DeliveryError`` naming ``label``.

    Redirects are not followed: a 3xx could point past ``check_target`` to a private address.
    """
    try:
        response = session.post(
            url,
            data=body,
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
            timeout=timeout,
            allow_redirects=False,
        )
    except requests.Timeout:
        raise DeliveryError(f"{label} timed out after {timeout:g}s", retryable=True) from None
    except requests.RequestException as exc:
        # requests marks malformed URLs and headers as ValueError: retrying cannot fix those.
        raise DeliveryError(
            f"{label} request failed ({type(exc).__name__})", retryable=not isinstance(exc, ValueError)
        ) from None
    if 200 <= response.status_code < 300:
        return response
    raise _status_error(label, response.status_code, response.headers.get("Retry-After"), response.text)


def _status_error(label: str, status: int, retry_after: str | None = None, body: str = "") -> DeliveryError:
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


def check_target(url: str, allow_private: bool, *, field: str = "url") -> None:
    """Reject a webhook target that is not https or resolves to a non-public address.

    ``allow_private`` (local mode, tests) also admits http and private/loopback hosts. The URL
    never appears in the error. The check resolves the name once; the request resolves it again.
    """
    problem = _target_problem(url, allow_private)
    if problem:
        raise InvalidInput(field, problem[0])


def ensure_target(url: str, allow_private: bool, *, label: str) -> None:
    """``check_target`` at send time: a failed lookup may be transient, anything else is final."""
    problem = _target_problem(url, allow_private)
    if problem:
        message, retryable = problem
        raise DeliveryError(f"{label} target rejected: {message}", retryable=retryable)


def _target_problem(url: str, allow_private: bool) -> tuple[str, bool] | None:
    """What is wrong with ``url`` as a target, and whether asking again later could help."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "is not a valid URL", False
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        return ("must be an http(s) URL" if allow_private else "must be an https URL"), False
    if not parts.hostname:
        return "has no host", False
    if allow_private:
        return None
    try:
        infos = socket.getaddrinfo(parts.hostname, port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        return "host does not resolve", getattr(exc, "errno", None) == socket.EAI_AGAIN
    for info in infos:
        if not _is_public(str(info[4][0])):
            return "host resolves to a private, loopback, link-local or reserved address", False
    return None


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    return ip.is_global and not ip.is_multicast
