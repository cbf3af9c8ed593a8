"""The channels' transport: posting JSON to a vetted, pinned address (``targets``) with a total
deadline and a cap on what is read back; a failed call becomes ``DeliveryError`` (``failures``).

Messages name the channel ("slack webhook answered 500"), never the URL: Slack webhook URLs
and custom webhook URLs are secrets. Exceptions are raised ``from None`` so a logged traceback
does not carry the underlying error (whose text includes the URL) either.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from alerting import __version__
from alerting.channels.failures import status_error
from alerting.channels.targets import Target, ensure_target
from alerting.errors import DeliveryError

USER_AGENT = f"serverless-alerting/{__version__}"
MAX_RESPONSE_BYTES = 8192  # an error body is read for its code; more is never needed


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
        raise status_error(label, reply.status, reply.headers.get("retry-after"), text)

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
