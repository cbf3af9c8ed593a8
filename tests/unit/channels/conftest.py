"""Channel fixtures: a real HTTP receiver on 127.0.0.1, an HTTP client, a boto3 session."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from alerting.channels.http import HttpClient
from alerting_local.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


@pytest.fixture
def http() -> HttpClient:
    """The channels' client, admitting the loopback receiver (as local mode does)."""
    return HttpClient(allow_private=True)


@pytest.fixture(scope="session")
def aws() -> boto3.Session:
    """One boto3 session for every test: clients then build in milliseconds, not tenths."""
    return boto3.Session(region_name="us-east-1")
