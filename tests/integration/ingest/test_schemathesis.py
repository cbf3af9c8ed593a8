"""schemathesis against the ingest API on `make serve`'s web front (`/ingest/...`): every
operation of its own OpenAPI document with its examples, boundary cases and fuzzed requests,
valid and invalid, sent with a real integration's key. No answer may be a 5xx.

Bounded (a few examples an operation); a longer run: `make serve`, then
`schemathesis run http://127.0.0.1:3000/ingest/openapi.json --url http://127.0.0.1:3000/ingest
--checks not_a_server_error -H "Authorization: Bearer <an integration's key>"`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from alerting_local.serve import INGEST_BASE, Runtime, web_front
from alerting_local.stack import LocalStack
from ingest.api import app

EXAMPLES = 5  # fuzzed requests an operation; its examples and boundary cases come on top


@pytest.fixture(scope="module")
def front() -> Iterator[tuple[str, str]]:
    """The ingest API's base URL on the front, and an alertmanager integration's key."""
    with LocalStack(overrides={"LogLevel": "ERROR"}) as local, web_front(Runtime(local), quiet=True) as url:
        status, created = local.api("POST", "/integrations", {"name": "Prometheus", "type": "alertmanager"})
        assert status == 201, created
        yield url.rstrip("/") + INGEST_BASE, created["key"]


# The document the front serves, built in-process at collection (as the API's schemathesis test does).
DOCUMENT = app.document("test")
schema = schemathesis.openapi.from_dict(DOCUMENT)


def test_the_front_serves_the_document_the_fuzzer_reads(front: tuple[str, str]) -> None:
    base, _ = front
    served = requests.get(f"{base}/openapi.json", timeout=10).json()
    assert {**served, "info": DOCUMENT["info"]} == DOCUMENT  # all but the deployment's version


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_with_a_server_error(case: schemathesis.Case, front: tuple[str, str]) -> None:
    base, key = front
    response = case.call(base_url=base, headers={"Authorization": f"Bearer {key}", **(case.headers or {})})
    case.validate_response(response, checks=[not_a_server_error])
