"""The ingest API against moto: its real door and services, in front of test routes (so the door
is tested apart from any protocol) or of its real protocols."""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel, Field

from alerting.models.integrations import IntegrationType
from alerting.repositories.quotas import Rate
from alerting.settings import IngestApiSettings
from alerting_local.lambda_runtime import LambdaContext
from ingest.api import IngestApp, Protocol
from ingest.dependencies import Services, build, given
from ingest.gate import PATH, Door, admitted, integrations
from ingest.routes import new_router
from tests.integration.api.client import ApiClient, api_event
from tests.integration.api.conftest import api_log  # noqa: F401 (a fixture: the API's log)

header_router = new_router()
path_router = new_router()


class Echo(BaseModel):
    summary: str = Field(min_length=1)


@header_router.get("/whoami")
def whoami() -> dict[str, Any]:
    found = admitted()
    return {"subject": found.subject, "labels": found.owner.labels, "severity": found.owner.severity.value}


@header_router.post("/echo")
def echo(body: Echo) -> Echo:
    return body


@path_router.get("/<key>")
def ping(key: str) -> dict[str, str]:
    return {"subject": admitted().subject}


# Two protocols of the shapes the real ones take: a key in a header (alertmanager integrations
# only) and a key in the path (any owner).
TEST_APP = IngestApp(
    (
        Protocol("/test", header_router, Door(accepts=integrations(IntegrationType.alertmanager))),
        Protocol("/keyed", path_router, Door(PATH)),
    )
)


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class IngestClient:
    """Calls an ingest app as the handler does, with services built for this test's moto."""

    app: IngestApp
    services: Services

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Reply:
        event = api_event(method, path, body, headers=headers)
        token = given.set(self.services)
        try:
            response = self.app.respond(event, LambdaContext("ingest"))
        finally:
            given.reset(token)
        merged = dict(response.get("headers") or {})
        merged.update({k: v[-1] for k, v in (response.get("multiValueHeaders") or {}).items()})
        text = response.get("body") or ""
        return Reply(int(response["statusCode"]), json.loads(text) if text else None, merged)

    def get(self, path: str, key: str | None = None) -> Reply:
        return self.request("GET", path, headers=bearer(key))

    def post(self, path: str, body: Any, key: str | None = None) -> Reply:
        return self.request("POST", path, body, headers=bearer(key))

    def at_rate(self, per_second: int, burst: int) -> IngestClient:
        gate = dataclasses.replace(self.services.gate, rate=Rate("ingest", per_second, burst))
        return IngestClient(self.app, dataclasses.replace(self.services, gate=gate))


def bearer(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


@pytest.fixture
def ingest(aws: Any) -> IngestClient:
    return IngestClient(TEST_APP, build(IngestApiSettings.from_env()))


@pytest.fixture
def integration(api: ApiClient) -> Callable[..., tuple[str, str]]:
    """Creates an integration through the API; returns its id and key."""

    def create(integration_id: str = "prom", type: str = "alertmanager", **fields: Any) -> tuple[str, str]:
        body = {"integration_id": integration_id, "name": integration_id, "type": type, **fields}
        created = api.post("/integrations", body)
        assert created.status == 201, created.body
        return integration_id, created.body["key"]

    return create


@pytest.fixture
def ingest_log() -> Iterator[Callable[[], str]]:
    """Everything the ingest function's logger writes (at DEBUG), as text."""
    from ingest.observability import logger

    stream = io.StringIO()
    previous = logger.registered_handler.setStream(stream)
    level = logger.log_level
    logger.setLevel("DEBUG")
    yield stream.getvalue
    logger.setLevel(level)
    logger.registered_handler.setStream(previous)
