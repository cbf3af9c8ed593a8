"""`make serve` serves the ingest API on the API's port (§16): its protocols' paths reach
IngestApiFunction as they would on its own API, `/ingest/...` is the ingest API with that prefix
taken off, and everything else is still the API's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from alerting_local.serve import Runtime, function_for, web_front
from alerting_local.stack import LocalStack
from tests.infrastructure.test_iam import role_actions


@pytest.fixture(scope="module")
def front() -> Iterator[tuple[LocalStack, str]]:
    with LocalStack(overrides={"LogLevel": "ERROR"}) as local, web_front(Runtime(local), quiet=True) as url:
        yield local, url.rstrip("/")


@pytest.mark.parametrize(
    ("path", "function", "seen"),
    [
        ("/v2/enqueue", "IngestApiFunction", "/v2/enqueue"),  # a protocol's path: as on its own API
        ("/ingest/openapi.json", "IngestApiFunction", "/openapi.json"),
        ("/ingest", "IngestApiFunction", "/"),
        ("/openapi.json", "ApiFunction", "/openapi.json"),  # the API's own document
        ("/integrations", "ApiFunction", "/integrations"),
        ("/ingestion", "ApiFunction", "/ingestion"),
    ],
)
def test_each_path_goes_to_the_function_whose_api_serves_it(path: str, function: str, seen: str) -> None:
    assert function_for(path) == (function, seen)


def test_an_integration_made_through_the_api_pages_through_the_ingest_api_on_the_same_port(
    front: tuple[LocalStack, str],
) -> None:
    local, url = front
    created = requests.post(f"{url}/integrations", json={"name": "Grafana", "type": "events"}, timeout=10)
    key = created.json()["key"]
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": "disk-full",
        "payload": {"summary": "Disk full on db-1", "source": "db-1", "severity": "critical"},
    }

    accepted = requests.post(f"{url}/v2/enqueue", json=event, timeout=10)
    refused = requests.post(f"{url}/v2/enqueue", json={**event, "routing_key": "ak_wrong"}, timeout=10)

    assert (created.status_code, accepted.status_code, refused.status_code) == (201, 202, 401)
    alerts = requests.get(f"{url}/alerts", params={"source": "events"}, timeout=10).json()["items"]
    assert [a["rule_name"] for a in alerts] == ["Disk full on db-1"]
    assert local.calls.actions["IngestApiFunction"] <= role_actions("IngestApiFunction")


def test_the_ingest_api_has_its_own_document_beside_the_apis(front: tuple[LocalStack, str]) -> None:
    _, url = front

    ingest = requests.get(f"{url}/ingest/openapi.json", timeout=10).json()
    api = requests.get(f"{url}/openapi.json", timeout=10).json()

    assert ingest["info"]["title"] == "Serverless Alerting ingest API"
    assert set(ingest["components"]["securitySchemes"]) == {"bearer", "basic"}
    assert api["info"]["title"] != ingest["info"]["title"]
    assert not set(ingest["paths"]) & set(api["paths"]) - {"/openapi.json"}


def test_the_ingest_api_refuses_a_body_over_1_mb_on_the_front(front: tuple[LocalStack, str]) -> None:
    _, url = front

    refused = requests.post(f"{url}/v2/enqueue", data="x" * (1024 * 1024 + 1), timeout=10)

    assert refused.status_code == 413
