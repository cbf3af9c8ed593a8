"""Requests to a deployed API (API Gateway, IAM auth), signed with SigV4 from the default
credentials as the AWS CLI signs them (`alerting-rules backtest --api`)."""

from __future__ import annotations

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest


def signed_headers(url: str, data: bytes, headers: dict[str, str], region: str) -> dict[str, str] | None:
    """``headers`` with the SigV4 signature of a POST of ``data`` to ``url`` added; None when there
    are no credentials to sign with."""
    credentials = boto3.Session().get_credentials()
    if credentials is None:
        return None
    signed = AWSRequest(method="POST", url=url, data=data, headers=headers)
    SigV4Auth(credentials.get_frozen_credentials(), "execute-api", region).add_auth(signed)
    return dict(signed.headers.items())
