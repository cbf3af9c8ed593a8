"""A real HTTP server on 127.0.0.1 standing in for Slack, Teams workflows and generic webhooks.

It records every request and answers per path from a script of replies, so tests and the
local demo see exactly what a channel sent and how it copes with 429, 5xx, 4xx and a hung
server::

    with Receiver() as receiver:
        receiver.script("/slack", Reply.rate_limited(retry_after="3"), Reply.ok())
        SlackSender(http, receiver.url("/slack"), timeout=1).send(message)
        receiver.received("/slack")[0].json

A path without a script (or whose script ran out) answers 200 ``ok``, as Slack does; a Teams
message (``{"type": "message", ...}``) 202 and no body, as a Workflows trigger does.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

HANG_SECONDS = 2.0  # longer than any client timeout used against it; stop() cuts it short


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering

    @classmethod
    def ok(cls) -> Reply:
        return cls()

    @classmethod
    def accepted(cls) -> Reply:
        return cls(202, "")

    @classmethod
    def rate_limited(cls, retry_after: str = "1") -> Reply:
        return cls(429, "rate_limited", {"Retry-After": retry_after})

    @classmethod
    def server_error(cls) -> Reply:
        return cls(500, "rollup_error")

    @classmethod
    def bad_request(cls) -> Reply:
        return cls(400, "invalid_payload")

    @classmethod
    def hang(cls, seconds: float = HANG_SECONDS) -> Reply:
        return cls(delay=seconds)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() on arrival
    status: int = 0  # what the receiver answered

    @property
    def json(self) -> Any:
        """The parsed body; None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # so server_close() waits for request threads: stop() leaves none behind


class Receiver:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.Lock()
        self._requests: list[Request] = []
        self._scripts: defaultdict[str, deque[Reply]] = defaultdict(deque)
        self._stopping = threading.Event()
        self._server = _Server((host, port), _handler_for(self))
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/") -> str:
        host = self._server.server_address[0]
        return f"http://{host!s}:{self.port}{path}"

    def start(self) -> Receiver:
        # A short poll interval: shutdown() waits up to one interval, and tests stop a receiver each.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, name="receiver", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; a request still hanging is woken and answered (to a gone client)."""
        self._stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()  # also joins the request threads

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def script(self, path: str, *replies: Reply) -> None:
        """Queue replies for ``path``, answered in order, one per request."""
        with self._lock:
            self._scripts[path].extend(replies)

    def received(self, path: str | None = None) -> list[Request]:
        with self._lock:
            return [r for r in self._requests if path is None or r.path == path]

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()
            self._scripts.clear()

    def _record(self, request: Request) -> Reply:
        with self._lock:
            script = self._scripts.get(request.path)
            reply = script.popleft() if script else _default_reply(request)
            self._requests.append(replace(request, status=reply.status))
            return reply


def _default_reply(request: Request) -> Reply:
    body = request.json
    teams = isinstance(body, dict) and body.get("type") == "message"
    return Reply.accepted() if teams else Reply.ok()


def _handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = 10  # a client that connects and sends nothing cannot hold stop() forever

        def do_POST(self) -> None:
            self._answer()

        def do_PUT(self) -> None:
            self._answer()

        def do_GET(self) -> None:
            self._answer()

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                method=self.command,
                path=urlsplit(self.path).path,
                headers=dict(self.headers.items()),
                body=self.rfile.read(length),
                at=time.time(),
            )
            reply = receiver._record(request)
            if reply.delay:
                receiver._stopping.wait(reply.delay)
            body = reply.body.encode()
            try:
                self.send_response(reply.status)
                for name, value in {"Content-Type": "text/plain", **reply.headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client timed out and left: that was the point of the hang

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests and the demo read ``received()`` instead of an access log."""

    return Handler
