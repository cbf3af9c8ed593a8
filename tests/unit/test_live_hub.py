"""The local WebSocket hub: only the web front's pages and non-browser clients connect; frames
and idle time are capped as on API Gateway; other methods get a JSON 405. The connections
handler is a fake that records its events; the client is ``websockets`` or a raw socket."""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from alerting_local.live import MAX_FRAME, LiveHub
from alerting_local.loopback import loopback_origins

FRONT = 3000  # the web front's port, as `make serve` runs it


class _Routes:
    """Stands in for the connections handler: accepts everything, remembers the route keys."""

    def __init__(self) -> None:
        self.routes: list[str] = []
        self.disconnected = threading.Event()

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        self.routes.append(event["requestContext"]["routeKey"])
        if self.routes[-1] == "$disconnect":
            self.disconnected.set()
        return {"statusCode": 200}


@pytest.fixture
def routes() -> _Routes:
    return _Routes()


@contextmanager
def running(routes: _Routes, idle_seconds: float = 600.0) -> Iterator[LiveHub]:
    """A hub whose pages are the web front's on port FRONT."""
    hub = LiveHub(routes, idle_seconds=idle_seconds)
    hub.page_origins = loopback_origins(FRONT)
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()


@pytest.fixture
def hub(routes: _Routes) -> Iterator[LiveHub]:
    with running(routes) as hub:
        yield hub


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "null", f"http://127.0.0.1:{FRONT + 1}", f"http://127.0.0.1:{FRONT}.evil.example"],
    ids=["other-site", "null", "other-port", "look-alike"],
)
def test_hub_refuses_another_pages_handshake_with_403_before_connect(hub: LiveHub, routes: _Routes, origin: str):
    with pytest.raises(InvalidStatus) as refused:
        connect(hub.url, origin=Origin(origin))

    assert refused.value.response.status_code == 403
    assert json.loads(refused.value.response.body or b"{}")["errors"][0]["field"] == "Origin"
    assert routes.routes == []  # $connect never ran


@pytest.mark.parametrize(
    "origin", [None, f"http://127.0.0.1:{FRONT}", f"http://localhost:{FRONT}"], ids=["no-origin", "ip", "name"]
)
def test_hub_lets_in_the_fronts_pages_and_clients_without_origin(hub: LiveHub, routes: _Routes, origin: str | None):
    with connect(hub.url, origin=Origin(origin) if origin else None) as page:
        page.ping().wait(timeout=5)

    assert routes.routes[0] == "$connect"


def test_hub_closes_on_a_frame_over_the_limit_with_1009_without_passing_it_on(hub: LiveHub, routes: _Routes):
    with connect(hub.url) as page:
        page.send(json.dumps({"action": "ping", "pad": "x" * MAX_FRAME}))
        with pytest.raises(ConnectionClosed) as closed:
            page.recv(timeout=5)

    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    assert "$default" not in routes.routes


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (struct.pack("!BBQ", 0x81, 0x80 | 127, 1 << 40), 1009),  # a terabyte announced: refused unread
        (struct.pack("!BB", 0x81, 5), 1002),  # not masked
    ],
    ids=["announced-too-big", "unmasked"],
)
def test_hub_refuses_a_bad_frame_header_with_its_close_code(hub: LiveHub, header: bytes, code: int):
    with raw_connection(hub) as client:
        client.sendall(header)
        closing = client.recv(64)

    assert closing[0] == 0x88 and struct.unpack("!H", closing[2:4])[0] == code


def test_hub_closes_an_idle_connection_with_1001(routes: _Routes):
    with (
        running(routes, idle_seconds=0.2) as hub,
        connect(hub.url, ping_interval=None) as page,
        pytest.raises(ConnectionClosed) as closed,
    ):
        page.recv(timeout=10)

    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    assert routes.disconnected.wait(timeout=5) and routes.routes == ["$connect", "$disconnect"]


@pytest.mark.parametrize("method", ["PUT", "PATCH", "OPTIONS"])
def test_hub_answers_a_method_it_does_not_serve_with_a_json_405(hub: LiveHub, method: str):
    status, headers, body = request(hub, method, "/@connections/abc")

    assert (status, headers["Allow"]) == (405, "GET, POST, DELETE")
    assert method in body["message"]


def test_hub_refuses_a_cross_site_push_to_a_connection(hub: LiveHub):
    status, _, body = request(hub, "POST", "/@connections/abc", {"Origin": "https://evil.example"})

    assert (status, body["errors"][0]["field"]) == (403, "Origin")


def request(hub: LiveHub, method: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=5)
    try:
        connection.request(method, path, body=b"{}", headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, json.loads(response.read())
    finally:
        connection.close()


@contextmanager
def raw_connection(hub: LiveHub) -> Iterator[socket.socket]:
    """A socket past the hub's handshake, for frames no WebSocket library would send."""
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection(("127.0.0.1", hub.port), timeout=5) as client:
        client.sendall(
            f"GET /live HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += client.recv(1024)
        assert answer.startswith(b"HTTP/1.1 101"), answer
        yield client
