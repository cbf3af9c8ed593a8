"""The local stack served as `make serve` serves it (the API and the ingest API on one loopback
port), for the real clients to talk to; and a temporary directory per client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from alerting_local.serve import Runtime, web_front
from alerting_local.stack import LocalStack


@dataclass(frozen=True)
class Served:
    local: LocalStack
    url: str  # http://127.0.0.1:<port>, no trailing slash

    @property
    def address(self) -> str:
        """host:port, as Prometheus's and Alertmanager's static targets take it."""
        return self.url.removeprefix("http://")

    def integration(self, kind: str, name: str, **fields: Any) -> tuple[str, str]:
        """A new integration of type ``kind`` through the main API: its id and its key (shown once)."""
        status, created = self.local.api("POST", "/integrations", {"name": name, "type": kind, **fields})
        assert status == 201, created
        return created["integration_id"], created["key"]


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with LocalStack(overrides={"LogLevel": "ERROR"}) as local, web_front(Runtime(local), quiet=True) as url:
        yield Served(local, url.rstrip("/"))


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """Where a client keeps its configuration, data and log for one test."""
    return tmp_path
