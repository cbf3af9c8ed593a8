"""Invoke a function's real handler the way Lambda would: by its template `Handler`, with a context."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


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


def load_handler(handler_path: str) -> Callable[[dict[str, Any], Any], Any]:
    """`"evaluator.handler.handler"` → the function, as one invocation each call."""
    module_name, _, attribute = handler_path.rpartition(".")
    handler: Callable[[dict[str, Any], Any], Any] = getattr(importlib.import_module(module_name), attribute)

    def invoke(event: dict[str, Any], context: Any) -> Any:
        try:
            return handler(event, context)
        finally:
            # Locally metrics are disabled, and Powertools then keeps them instead of flushing:
            # after 100 values of one metric it would print them all. Lambda starts each
            # invocation's set empty; so does this.
            from aws_lambda_powertools import Metrics

            Metrics().clear_metrics()

    return invoke
