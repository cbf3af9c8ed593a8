"""`make serve`'s web front on the local stack: a page on another site cannot create a silence
through it (a form posts JSON-looking text, which the front passes on as JSON), curl and the
dashboard's own pages can."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from alerting.models.common import iso
from alerting_local.serve import Runtime, web_front
from alerting_local.stack import LocalStack

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[LocalStack, int]]:
    with LocalStack(overrides={"LogLevel": "ERROR"}) as local, web_front(Runtime(local), quiet=True) as url:
        yield local, int(urlsplit(url).port or 0)


def post_silence(port: int, silence_id: str, headers: dict[str, str]) -> int:
    body = {
        "silence_id": silence_id,
        "matchers": [{"label": "service", "value": "checkout"}],
        "ends_at": iso(datetime.now(UTC) + timedelta(hours=1)),
        "created_by": "mallory",
    }
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", "/silences", body=json.dumps(body), headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def silence_ids(local: LocalStack) -> set[str]:
    status, page = local.api("GET", "/silences")
    assert status == 200, page
    return {s["silence_id"] for s in page["items"]}


@pytest.mark.parametrize("origin", ["https://evil.example", "null"], ids=["other-site", "null"])
def test_a_form_from_another_page_creates_no_silence(served: tuple[LocalStack, int], origin: str):
    local, port = served

    assert post_silence(port, f"from-{origin.split(':')[0]}", {**FORM, "Origin": origin}) == 403

    assert not any(s.startswith("from-") for s in silence_ids(local))


def test_curl_and_the_dashboards_own_page_create_silences(served: tuple[LocalStack, int]):
    local, port = served

    assert post_silence(port, "curl", FORM) == 201  # curl -d: no Origin, the form type
    assert post_silence(port, "page", {"Content-Type": "application/json", "Origin": f"http://localhost:{port}"}) == 201

    assert {"curl", "page"} <= silence_ids(local)
