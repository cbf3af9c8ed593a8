"""The AWS clients a tool run on someone's machine hands its adapters (`alerting.wiring` asks)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoRegionError

LOCAL_REGION = "us-east-1"
# What a tool run on someone's machine reports in a line instead of a traceback:
NO_REGION = NoRegionError  # its client has no region (ask for one)
AWS_FAILURES = (BotoCoreError, ClientError)  # anything else AWS refused, or could not be reached


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
