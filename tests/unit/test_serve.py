"""`make serve`'s HTTP front: bodies reach the API as API Gateway passes them, whatever the bytes."""

from __future__ import annotations

import base64
import http.client
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

from alerting_local.serve import Runtime, handler_for


class _FakeLocal:
    """Stands in for the local stack: the API function records its event and refuses it."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def handler(self, logical_id: str) -> Any:
        def api(event: dict[str, Any], context: Any) -> dict[str, Any]:
            self.events.append(event)
            return {"statusCode": 400, "headers": {"Content-Type": "application/json"}, "body": '{"message": "no"}'}

        return api


@pytest.fixture
def served() -> Iterator[tuple[_FakeLocal, int]]:
    local = _FakeLocal()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(Runtime(local)))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield local, server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


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
