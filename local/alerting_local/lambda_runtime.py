"""Invoke a function's real handler the way Lambda would: by its template `Handler`, with a context."""

from __future__ import annotations

import contextvars
import importlib
import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

# IAM's prefix where it differs from the service's endpoint prefix.
IAM_PREFIX = {"monitoring": "cloudwatch", "email": "ses", "streams.dynamodb": "dynamodb"}
# IAM's action where it differs from the API's operation.
IAM_ACTION = {
    "execute-api:PostToConnection": "execute-api:ManageConnections",
    "execute-api:DeleteConnection": "execute-api:ManageConnections",
    "execute-api:GetConnection": "execute-api:ManageConnections",
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}
TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
_running: contextvars.ContextVar[str | None] = contextvars.ContextVar("running_function", default=None)


class CallLog:
    """Every AWS action each function's handler called (``dynamodb:Query``...), recorded while
    it runs: what its IAM role must allow (moto enforces no IAM)."""

    def __init__(self) -> None:
        self.actions: dict[str, set[str]] = defaultdict(set)

    def __call__(self, model: Any, params: Any = None, **_: Any) -> None:
        function = _running.get()
        if function is None:
            return
        prefix = model.service_model.endpoint_prefix
        if model.name == "TransactWriteItems":  # IAM authorises each item's own action
            raw = params.get("body", b"{}") if isinstance(params, dict) else b"{}"
            body = json.loads(raw) if isinstance(raw, (bytes, str)) else raw
            for item in body.get("TransactItems", []):
                for kind in item:
                    self.actions[function].add(f"dynamodb:{TRANSACT_ACTIONS[kind]}")
            return
        action = f"{IAM_PREFIX.get(prefix, prefix)}:{model.name}"
        self.actions[function].add(IAM_ACTION.get(action, action))

    def attach(self, session: Any) -> None:
        """Record the calls of every client made from this boto3 session."""
        session.events.register("before-call", self)

    def detach(self, session: Any) -> None:
        session.events.unregister("before-call", self)


@contextmanager
def running(function: str) -> Iterator[None]:
    token = _running.set(function)
    try:
        yield
    finally:
        _running.reset(token)


@dataclass
class LambdaContext:
    """The attributes Powertools reads from Lambda's context object."""

    function_name: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def load_handler(handler_path: str, function: str = "") -> Callable[[dict[str, Any], Any], Any]:
    """`"evaluator.handler.handler"` → the function, as one invocation each call (its AWS calls
    recorded as ``function``'s, where a CallLog listens)."""
    module_name, _, attribute = handler_path.rpartition(".")
    handler: Callable[[dict[str, Any], Any], Any] = getattr(importlib.import_module(module_name), attribute)

    def invoke(event: dict[str, Any], context: Any) -> Any:
        try:
            with running(function or handler_path):
                return handler(event, context)
        finally:
            # Locally metrics are disabled, and Powertools then keeps them instead of flushing:
            # after 100 values of one metric it would print them all. Lambda starts each
            # invocation's set empty; so does this.
            from aws_lambda_powertools import Metrics

            Metrics().clear_metrics()

    return invoke
