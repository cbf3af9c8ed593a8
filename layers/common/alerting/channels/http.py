"""The channels' transport: posting JSON to a vetted, pinned address with a total deadline and
a cap on what is read back, checking webhook targets, and turning failed calls (HTTP statuses,
and AWS API errors, which are HTTP underneath) into ``DeliveryError`` with the retry decision
made once, here.

Messages name the channel ("slack webhook answered 500"), never the URL: Slack webhook URLs
and custom webhook URLs are secrets. Exceptions are raised ``from None`` so a logged traceback
does not carry the underlying error (whose text includes the URL) either.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import math
import re
import socket
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from alerting import __version__
from alerting.errors import DeliveryError, InvalidInput
from alerting.models.common import utcnow

USER_AGENT = f"serverless-alerting/{__version__}"
MAX_RESPONSE_BYTES = 8192  # an error body is read for its code; more is never needed

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

# IPv6 is public only inside 2000::/3, IANA's global unicast space; all else is special-purpose
# (IPv4-compatible ::a.b.c.d, IPv4-translated ::ffff:0:a.b.c.d, NAT64 64:ff9b::/96, site-local
# fec0::/10, SRv6 5f00::/16, ...) or unassigned, though Python's `is_global` (3.11 and 3.13
# alike) calls some of them global. IPv4-mapped addresses are checked as the IPv4 address they
# are, 6to4 and Teredo by what they embed; within 2000::/3 these are refused besides what
# `is_global` refuses, whatever this Python version's registry holds:
_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")
_REFUSED_V6 = (ipaddress.ip_network("3fff::/20"),)  # documentation (RFC 9637), newer than 3.13.0
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_TEREDO = ipaddress.ip_network("2001::/32")


@dataclass(frozen=True)
class Target:
    """A URL that passed the checks, with the addresses it resolved to: the connection goes to
    one of these, so a second lookup (DNS rebinding) cannot send it elsewhere."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[tuple[socket.AddressFamily, tuple[Any, ...]], ...]  # (family, sockaddr)

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == (443 if self.scheme == "https" else 80) else f"{host}:{self.port}"


@dataclass(frozen=True)
class HttpReply:
    status: int
    headers: Mapping[str, str]  # names in lower case
    body: bytes  # at most MAX_RESPONSE_BYTES


class HttpClient:
    """POSTs JSON to webhook targets. Each request resolves the host once, checks every address,
    connects to a checked one, and must be over within ``timeout`` seconds in total (a server
    trickling bytes cannot hold it longer); at most ``max_response_bytes`` of the answer are read.

    ``allow_private`` (local mode, tests) also admits http and private/loopback hosts.
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        tls: ssl.SSLContext | None = None,  # tests trust their own CA; default: the system's
    ) -> None:
        self.allow_private = allow_private
        self.max_response_bytes = max_response_bytes
        self._tls = tls

    def post_json(
        self, url: str, body: bytes, headers: Mapping[str, str], timeout: float, *, label: str = "webhook"
    ) -> HttpReply:
        """POST ``body``; return a 2xx reply or raise ``DeliveryError`` naming ``label``.

        Redirects are not followed: a 3xx could point past the checks to a private address.
        """
        target = ensure_target(url, self.allow_private, label=label)
        all_headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
        deadline = _Deadline(timeout)
        try:
            reply = self._exchange(target, body, all_headers, timeout, deadline)
        except (OSError, http.client.HTTPException) as exc:
            if deadline.passed or isinstance(exc, TimeoutError):
                raise DeliveryError(f"{label} timed out after {timeout:g}s", retryable=True) from None
            raise DeliveryError(f"{label} request failed ({type(exc).__name__})", retryable=True) from None
        finally:
            deadline.cancel()
        if 200 <= reply.status < 300:
            return reply
        text = reply.body.decode("utf-8", "replace")
        raise _status_error(label, reply.status, reply.headers.get("retry-after"), text)

    def _exchange(
        self, target: Target, body: bytes, headers: Mapping[str, str], timeout: float, deadline: _Deadline
    ) -> HttpReply:
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
        try:
            # Connected here, to a vetted address: http.client, finding a socket, resolves nothing.
            connection.sock = sock = _connect(target, timeout)
            deadline.arm(sock)
            if target.scheme == "https":
                sock = self._tls_context().wrap_socket(sock, server_hostname=target.host, do_handshake_on_connect=False)
                connection.sock = sock
                deadline.arm(sock)
                sock.do_handshake()
            connection.request("POST", target.path, body=body, headers={"Host": target.host_header, **headers})
            response = connection.getresponse()
            data = response.read(self.max_response_bytes)
            return HttpReply(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
        finally:
            connection.close()

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = ssl.create_default_context(cafile=_ca_bundle())
        return self._tls


class _Deadline:
    """Cuts the connection when ``seconds`` have passed: a socket timeout bounds each read, not
    the sum of them."""

    def __init__(self, seconds: float) -> None:
        self.passed = False
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def arm(self, sock: socket.socket) -> None:
        self._sockets.append(sock)
        if self.passed:
            self._expire()

    def cancel(self) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        self.passed = True
        for sock in self._sockets:
            with contextlib.suppress(OSError):  # the plain socket's shutdown: wakes a blocked read
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _connect(target: Target, timeout: float) -> socket.socket:
    """A connection to the first vetted address that answers (no lookup: the sockaddr is used
    as resolved)."""
    error: OSError = OSError("no address")
    for family, sockaddr in target.addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        return sock
    raise error


def _ca_bundle() -> str:
    """The CA bundle botocore verifies AWS endpoints with (certifi's, where installed)."""
    from botocore.httpsession import get_cert_path

    return str(get_cert_path(True))


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
    never appears in the error.
    """
    problem = _vet(url, allow_private, resolve=not allow_private)
    if isinstance(problem, tuple):
        raise InvalidInput(field, problem[0])


def ensure_target(url: str, allow_private: bool, *, label: str) -> Target:
    """``check_target`` at send time: a failed lookup may be transient, anything else is final."""
    vetted = _vet(url, allow_private)
    if isinstance(vetted, tuple):
        message, retryable = vetted
        raise DeliveryError(f"{label} target rejected: {message}", retryable=retryable)
    return vetted


def _vet(url: str, allow_private: bool, *, resolve: bool = True) -> Target | tuple[str, bool]:
    """The target, or what is wrong with ``url`` and whether asking again later could help.
    ``resolve=False`` checks the form only (a private target saved in local mode)."""
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
    port = port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not resolve:
        return Target(parts.scheme, parts.hostname, port, path, ())
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        return "host does not resolve", getattr(exc, "errno", None) == socket.EAI_AGAIN
    addresses = tuple(dict.fromkeys((info[0], tuple(info[4])) for info in infos))
    if not allow_private and not all(is_public(str(sockaddr[0])) for _, sockaddr in addresses):
        return "host resolves to a private, loopback, link-local or reserved address", False
    return Target(parts.scheme, parts.hostname, port, path, addresses)


def is_public(address: str) -> bool:
    """A globally routable unicast address, also after unwrapping the IPv4 address an IPv6
    form carries (mapped, 6to4, Teredo); IPv4-compatible, IPv4-translated, NAT64 and site-local
    forms are never public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return is_public(str(ip.ipv4_mapped))  # ::ffff:10.0.0.1 is 10.0.0.1
        if ip not in _GLOBAL_UNICAST_V6 or any(ip in net for net in _REFUSED_V6):
            return False
        if ip in _SIX_TO_FOUR:
            return ip.sixtofour is not None and is_public(str(ip.sixtofour))
        if ip in _TEREDO:
            server, client = ip.teredo or (None, None)
            return server is not None and client is not None and is_public(str(server)) and is_public(str(client))
    return ip.is_global and not ip.is_multicast
