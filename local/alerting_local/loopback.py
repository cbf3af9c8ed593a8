"""What a server on a developer's laptop accepts: `make serve`'s web front and the live hub.

Any page the developer opens can reach 127.0.0.1: post a form to it, open a WebSocket to it, or
read it through a name of its own re-pointed at 127.0.0.1 (DNS rebinding). A browser says which
page a request comes from in ``Origin`` (``null`` from a sandboxed frame or a file) and which
name it addressed in ``Host``; curl and the AWS SDKs send no ``Origin``. So a request is
answered only when it is addressed to this server by a loopback name and comes from no page or
from this server's own pages; anything else gets a JSON 403 before it reaches a handler. A
method the server does not serve gets a JSON 405 with ``Allow``; a client that stalls
mid-request is dropped after ``REQUEST_TIMEOUT_SECONDS``.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any

LOOPBACK_NAMES = ("127.0.0.1", "localhost")
REQUEST_TIMEOUT_SECONDS = 30.0


def loopback_origins(port: int) -> frozenset[str]:
    """The origins of pages served on `port`: http://127.0.0.1:3000 and http://localhost:3000."""
    return frozenset(f"http://{name}:{port}" for name in LOOPBACK_NAMES)


class LoopbackHandler(BaseHTTPRequestHandler):
    """A handler that refuses other sites' pages, other names and other methods in JSON."""

    timeout = REQUEST_TIMEOUT_SECONDS  # socketserver sets it on the connection: reads time out
    methods: tuple[str, ...] = ()  # what the subclass serves (its do_<METHOD>s)

    @property
    def port(self) -> int:
        """The port this request came in on (the server's)."""
        return int(self.connection.getsockname()[1])

    def allowed_origins(self) -> frozenset[str]:
        """Pages that may call this server: its own (a subclass adds the pages it serves)."""
        return loopback_origins(self.port)

    def parse_request(self) -> bool:
        """Every request line and headers pass here before any do_<METHOD> runs."""
        if not super().parse_request():
            return False
        refusal = self._refusal()
        if refusal is None:
            return True
        self.close_connection = True  # its body, if any, stays unread
        self.reply_json(*refusal)
        return False

    def _refusal(self) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        host = self.headers.get("Host")
        hosts = {f"{name}:{self.port}" for name in LOOPBACK_NAMES}
        if host is not None and host.lower() not in hosts | set(LOOPBACK_NAMES):
            return _refused("Host", f"must be {' or '.join(sorted(hosts))}")
        allowed = self.allowed_origins()
        if any(origin.lower() not in allowed for origin in self.headers.get_all("Origin") or ()):
            return _refused("Origin", f"must be absent (curl) or one of {', '.join(sorted(allowed))}")
        if self.command not in self.methods:
            allow = ", ".join(self.methods)
            return 405, {"message": f"{self.command} is not served here; use {allow}"}, {"Allow": allow}
        return None

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The server's own refusals (a malformed request line, headers too long) in JSON too."""
        self.close_connection = True
        self.reply_json(code, {"message": message or HTTPStatus(code).phrase}, {"Connection": "close"})

    def reply_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if getattr(self, "command", None) != "HEAD":
            self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        return  # refusals answer for themselves; a subclass prints what matters


def _refused(header: str, rule: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    message = f"{header} refused: this server answers only its own pages and non-browser clients"
    return 403, {"message": message, "errors": [{"field": header, "message": rule}]}, {}
