"""Integration fixtures: moto in-process, every resource built from template.yaml."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber

from alerting.repositories import clients
from alerting.settings import IngestApiSettings
from alerting_local.template import Stack, create_stack
from api import dependencies
from tests.integration.api.client import ApiClient

# An allow-listed sender and topic, so tests can tell them from ones outside the lists.
ALLOWED_SENDER = "team@example.com"
ALLOWED_TOPIC = "arn:aws:sns:us-east-1:123456789012:ops"
TEST_PARAMETERS = {
    "AllowPrivateWebhookTargets": "true",
    "OtherEmailSenders": ALLOWED_SENDER,
    "AllowedTopicArns": ALLOWED_TOPIC,
}

FUNCTIONS = ("EvaluatorFunction", "NotifierFunction", "ApiFunction")


@dataclass
class Aws:
    stack: Stack
    client: Callable[[str], Any]

    def env(self, logical_id: str) -> dict[str, str]:
        return self.stack.function_environment(logical_id)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, atomic_requests: None) -> Iterator[Aws]:
    """The stack on moto in process; requests are atomic, as on AWS (the handlers write from
    several threads at once)."""
    with mock_aws():
        clients.client.cache_clear()

        def client(service: str) -> Any:
            return boto3.client(service, region_name="us-east-1")

        stack = create_stack(client, overrides=TEST_PARAMETERS)
        for logical_id in FUNCTIONS:
            for name, value in stack.function_environment(logical_id).items():
                monkeypatch.setenv(name, value)
        yield Aws(stack, client)
        clients.client.cache_clear()


@pytest.fixture
def ingest_settings(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> IngestApiSettings:
    """The ingest API function's settings, its environment as the template gives it (the
    variables every function shares take its values)."""
    for name, value in aws.env("IngestApiFunction").items():
        monkeypatch.setenv(name, value)
    found: IngestApiSettings = IngestApiSettings.from_env()
    return found


@pytest.fixture
def api(aws: Aws) -> ApiClient:
    """The API handler as API Gateway calls it, with services built for this test's moto."""
    return ApiClient(cache(dependencies.build))


@pytest.fixture
def atomic_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Serialise requests into moto, as DynamoDB applies each request atomically.

    moto's in-memory backends are not thread-safe (two threads can both pass one conditional
    check); concurrency tests need the real service's per-request atomicity, not more.
    """
    lock = threading.Lock()
    original = BotocoreStubber.process_request

    def locked(self: BotocoreStubber, request: Any) -> Any:
        with lock:
            return original(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", locked)
