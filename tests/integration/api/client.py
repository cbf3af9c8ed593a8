"""Call the API handler as API Gateway does: REST proxy events shaped like events/api_create_rule.json."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alerting_local.lambda_runtime import LambdaContext

EVENT: dict[str, Any] = json.loads((Path(__file__).parents[3] / "events" / "api_create_rule.json").read_text())
Query = dict[str, str | list[str]]
ONCALL = EVENT["requestContext"]["identity"]["userArn"]  # who signs these requests: the actor of their writes


def api_event(
    method: str,
    path: str,
    body: Any = None,
    query: Query | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """`body` is JSON-encoded unless it is already a string (so tests can send broken JSON)."""
    multi = {k: v if isinstance(v, list) else [v] for k, v in (query or {}).items() if v != []}
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    event = copy.deepcopy(EVENT)
    event.update(
        path=path,
        httpMethod=method,
        headers=all_headers,
        multiValueHeaders={k: [v] for k, v in all_headers.items()},
        queryStringParameters={k: v[-1] for k, v in multi.items()} or None,
        multiValueQueryStringParameters=multi or None,
        pathParameters={"proxy": path.lstrip("/")},
        body=body if body is None or isinstance(body, str) else json.dumps(body),
    )
    event["requestContext"].update(httpMethod=method, path=f"/v1{path}", requestId=str(uuid.uuid4()))
    return event


@dataclass
class Reply:
    status: int
    body: Any
    text: str
    headers: dict[str, list[str]]


class ApiClient:
    """Invokes `api.handler.handler` in-process, handing it the services ``build`` makes for the
    environment of the moment (one per environment: a changed one is a new deployment); imported
    lazily so the test's environment applies."""

    def __init__(self, build: Callable[[Any], Any]) -> None:
        self._build = build

    @property
    def services(self) -> Any:
        from alerting.settings import ApiSettings

        return self._build(ApiSettings.from_env())

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: Query | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        from api.handler import handler

        response = handler(api_event(method, path, body, query, headers), LambdaContext("api"), services=self.services)
        text = response.get("body") or ""
        headers = dict(response.get("multiValueHeaders") or {})
        is_json = "json" in (headers.get("Content-Type") or ["application/json"])[0]  # the dashboard's files are not
        return Reply(
            status=response["statusCode"],
            body=json.loads(text) if text and is_json else None,
            text=text,
            headers=headers,
        )

    def get(self, path: str, query: Query | None = None, headers: dict[str, str] | None = None) -> Reply:
        return self.request("GET", path, query=query, headers=headers)

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Reply:
        return self.request("POST", path, body, headers=headers)

    def put(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Reply:
        return self.request("PUT", path, body, headers=headers)

    def delete(self, path: str) -> Reply:
        return self.request("DELETE", path)
