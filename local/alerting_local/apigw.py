"""API Gateway REST proxy events, shaped as API Gateway sends them to the API function."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import parse_qs

LOCAL_USER = "arn:aws:iam::123456789012:user/local"  # who signs a request without X-Local-Role (alerting_local.roles)


def proxy_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    query: dict[str, str] | str | None = None,
    headers: dict[str, str] | None = None,
    stage: str = "v1",
) -> dict[str, Any]:
    """An `AWS_PROXY` event for `/{proxy+}`; `query` is a dict or a raw query string."""
    if isinstance(query, str):
        multi = parse_qs(query, keep_blank_values=True)
    else:
        multi = {k: [v] for k, v in (query or {}).items()}
    raw_body = body if isinstance(body, str) or body is None else json.dumps(body)
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    request_id = str(uuid.uuid4())
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method.upper(),
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi.items()} or None,
        "multiValueQueryStringParameters": multi or None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method.upper(),
            "path": f"/{stage}{path}",
            "stage": stage,
            "requestId": request_id,
            "identity": {"sourceIp": "127.0.0.1", "userArn": LOCAL_USER},
            "accountId": "123456789012",
            "apiId": "local",
        },
        "body": raw_body,
        "isBase64Encoded": False,
    }
