"""The AWS clients the adapters are handed: built here and nowhere else. A function's come from
`alerting.wiring` (one per service, region and endpoint per container); a tool run on someone's
machine builds its own (`workstation_client`)."""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoRegionError

_SESSION_LOCK = threading.Lock()
MAX_CONNECTIONS = 32  # a tick writes from up to 32 threads (EVALUATOR_IO_THREADS); botocore's default is 10
LOCAL_REGION = "us-east-1"
# What a tool run on someone's machine reports in a line instead of a traceback:
NO_REGION = NoRegionError  # its client has no region (ask for one)
AWS_FAILURES = (BotoCoreError, ClientError)  # anything else AWS refused, or could not be reached


@cache
def session(region: str) -> Any:
    """One session per region: its loader reads each service model and the endpoint rules once
    for every client made from it (a session per client read them again each time)."""
    return boto3.session.Session(region_name=region)


@cache
def client(service: str, region: str, endpoint_url: str | None, max_attempts: int = 5) -> Any:
    """One client per (service, region, endpoint) per container; adaptive retries for throttling
    (`max_attempts=1` where the adapter owns the retry policy)."""
    config = Config(
        retries={"mode": "adaptive", "max_attempts": max_attempts},
        connect_timeout=5,
        read_timeout=20,
        max_pool_connections=MAX_CONNECTIONS,
    )
    with _SESSION_LOCK:  # creating clients from one session is not thread-safe
        return session(region).client(service, endpoint_url=endpoint_url, config=config)


def workstation_client(service: str, region: str | None, endpoint_url: str | None) -> Any:
    """A client for a command run on someone's machine (`alerting-rules plan`), with their
    credentials and region; for a local stack (``endpoint_url``) any credentials do (moto)."""
    named: Any = boto3.Session(region_name=region)
    if endpoint_url and named.get_credentials() is None:
        named = boto3.Session(
            region_name=region or LOCAL_REGION, aws_access_key_id="local", aws_secret_access_key="local"
        )
    elif endpoint_url and named.region_name is None:
        named = boto3.Session(region_name=LOCAL_REGION)
    return named.client(service, endpoint_url=endpoint_url)
