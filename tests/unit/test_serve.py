"""`make serve`'s HTTP front: bodies reach the API as API Gateway passes them, whatever the bytes;
only its own pages and non-browser clients are answered; other methods get a JSON 405."""

from __future__ import annotations

import base64
import http.client
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from alerting_local.serve import Runtime, handler_for


class _FakeInbox:
    def entries(self, kind: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        return [{"channel": "slack", "text": "[FIRING][HIGH] High CPU"}][:limit]


class _FakeLocal:
    """Stands in for the local stack: the API function records its event and refuses it."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.inbox = _FakeInbox()

    def handler(self, logical_id: str) -> Any:
        def api(event: dict[str, Any], context: Any) -> dict[str, Any]:
            self.events.append(event)
            return {"statusCode": 400, "headers": {"Content-Type": "application/json"}, "body": '{"message": "no"}'}

        return api


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def served() -> Iterator[tuple[_FakeLocal, int]]:
    local = _FakeLocal()
    with serving(handler_for(Runtime(local))) as port:  # type: ignore[arg-type]
        yield local, port


def call(port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        text = response.read()
        return Answer(response.status, json.loads(text) if text else None, dict(response.getheaders()))
    finally:
        connection.close()


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]


@pytest.mark.parametrize(
    ("raw", "body", "encoded"),
    [
        (b'{"name": "ok"}', '{"name": "ok"}', False),
        (b'{"name": "\xff\xfe"}', base64.b64encode(b'{"name": "\xff\xfe"}').decode(), True),
    ],
    ids=["utf8", "not-utf8"],
)
def test_serve_passes_any_body_on_and_answers(served: tuple[_FakeLocal, int], raw: bytes, body: str, encoded: bool):
    local, port = served
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)

    connection.request("POST", "/rules", body=raw, headers={"Content-Type": "application/json"})
    response = connection.getresponse()

    answer = (response.status, response.read())
    connection.close()

    assert answer == (400, b'{"message": "no"}')
    (event,) = local.events
    assert (event["body"], event["isBase64Encoded"]) == (body, encoded)


FORM = {"Content-Type": "application/x-www-form-urlencoded"}  # what a cross-site <form> posts


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Origin", "https://evil.example"),
        ("Origin", "null"),  # a sandboxed frame, a file:// page
        ("Origin", "http://127.0.0.1:1"),  # another local server's page
        ("Host", "evil.example:{port}"),  # a name re-pointed at 127.0.0.1 (DNS rebinding)
    ],
    ids=["other-site", "null", "other-port", "rebound-host"],
)
def test_serve_refuses_another_pages_request_with_403_before_the_api(
    served: tuple[_FakeLocal, int], header: str, value: str
):
    local, port = served

    answer = call(port, "POST", "/silences", b'{"matchers": []}', {**FORM, header: value.format(port=port)})

    assert (answer.status, answer.body["errors"][0]["field"]) == (403, header)
    assert local.events == []  # nothing reached the API: no silence created


@pytest.mark.parametrize(
    "origin", ["", "http://127.0.0.1:{port}", "http://localhost:{port}"], ids=["curl", "ip", "name"]
)
def test_serve_answers_curl_and_its_own_pages(served: tuple[_FakeLocal, int], origin: str):
    local, port = served
    headers = {"Origin": origin.format(port=port)} if origin else {}

    answer = call(port, "POST", "/silences", b'{"matchers": []}', {**FORM, **headers})

    assert answer.status == 400  # the fake API's answer
    (event,) = local.events
    assert event["headers"]["Content-Type"] == "application/json"  # curl -d's form type, rewritten


@pytest.mark.parametrize("method", ["PATCH", "OPTIONS", "TRACE", "BREW"])
def test_serve_answers_a_method_it_does_not_serve_with_a_json_405(served: tuple[_FakeLocal, int], method: str):
    local, port = served

    answer = call(port, method, "/rules")

    assert (answer.status, answer.headers["Allow"]) == (405, "GET, POST, PUT, DELETE")
    assert method in answer.body["message"] and local.events == []


def test_serve_answers_a_bad_content_length_with_400_naming_it(served: tuple[_FakeLocal, int]):
    local, port = served
    with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
        client.sendall(b"POST /rules HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n")
        head, _, body = client.makefile("rb").read().partition(b"\r\n\r\n")

    assert head.startswith(b"HTTP/1.0 400") and "Content-Length" in json.loads(body)["message"]
    assert local.events == []


def test_serve_drops_a_client_that_stalls_mid_body_with_408():
    local = _FakeLocal()
    handler = handler_for(Runtime(local))  # type: ignore[arg-type]
    handler.timeout = 0.2  # REQUEST_TIMEOUT_SECONDS, shortened
    with serving(handler) as port, socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(b"POST /rules HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{")
        head, _, body = client.makefile("rb").read().partition(b"\r\n\r\n")

    assert head.startswith(b"HTTP/1.0 408") and json.loads(body)["message"]
    assert local.events == []


def test_serve_answers_the_local_inbox_itself_and_never_passes_it_to_the_api(served: tuple[_FakeLocal, int]):
    local, port = served

    listed = call(port, "GET", "/local/inbox?limit=5", headers={"Origin": f"http://127.0.0.1:{port}"})
    refused = call(port, "GET", "/local/inbox", headers={"Origin": "https://evil.example"})
    posted = call(port, "POST", "/local/inbox", b"{}")
    other = call(port, "GET", "/local/secrets")
    bad = call(port, "GET", "/local/inbox?limit=0")

    assert (listed.status, listed.body) == (200, {"items": [{"channel": "slack", "text": "[FIRING][HIGH] High CPU"}]})
    assert (refused.status, refused.body["errors"][0]["field"]) == (403, "Origin")
    assert (posted.status, posted.headers["Allow"]) == (405, "GET")
    assert (other.status, bad.status, bad.body["errors"][0]["field"]) == (404, 400, "limit")
    assert local.events == []  # none of them reached the API function
