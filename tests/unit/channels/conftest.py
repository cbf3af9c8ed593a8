"""Channel fixtures: a real HTTP receiver on 127.0.0.1, an HTTP session, a boto3 session."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
import requests

from alerting_local.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as http:
        yield http


@pytest.fixture(scope="session")
def aws() -> boto3.Session:
    """One boto3 session for every test: clients then build in milliseconds, not tenths."""
    return boto3.Session(region_name="us-east-1")
