"""The live view: what a dashboard connection subscribes to, and the message it is sent.

A connection names a filter when it connects (query string) or later (a ``subscribe``
message); an empty filter field matches everything. The message is the webhook's versioned
document, so one consumer can read both; its ``delivery_id`` (``<alert>:<seq>:live``) and the
alert's ``version`` let a page apply each transition once, however often it arrives.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated

from pydantic import Field, ValidationError

from alerting.errors import InvalidInput
from alerting.models.alerts import Alert
from alerting.models.common import ID_PATTERN, AlertStatus, Model, Severity
from alerting.payload import document
from alerting.stream import Notice

# API Gateway closes a WebSocket connection after two hours; the item outlives it a little so
# TTL never removes a live connection.
CONNECTION_TTL_SECONDS = 2 * 3600 + 300
LabelValue = Annotated[str, Field(max_length=500)]


class Subscription(Model):
    """Which transitions a connection hears: every listed field must match (empty = any)."""

    status: Annotated[list[AlertStatus], Field(max_length=3)] = []
    severity: Annotated[list[Severity], Field(max_length=5)] = []
    rule_id: Annotated[list[Annotated[str, Field(pattern=ID_PATTERN)]], Field(max_length=50)] = []
    labels: Annotated[dict[Annotated[str, Field(max_length=128)], LabelValue], Field(max_length=20)] = {}

    def matches(self, alert: Alert) -> bool:
        return (
            (not self.status or alert.status in self.status)
            and (not self.severity or alert.severity in self.severity)
            and (not self.rule_id or alert.rule_id in self.rule_id)
            and all(alert.labels.get(k) == v for k, v in self.labels.items())
        )


def parse_subscription(data: object, field: str = "filter") -> Subscription:
    """A subscription from JSON-like data; `InvalidInput` names the first bad field."""
    try:
        return Subscription.model_validate(data if data is not None else {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in (field, *first["loc"]))
        raise InvalidInput(where, first["msg"]) from None


def subscription_from_query(params: Mapping[str, str]) -> Subscription:
    """``?status=firing,acknowledged&severity=critical&rule_id=a,b&label.team=web``."""
    data: dict[str, object] = {"labels": {}}
    for name, value in params.items():
        if name.startswith("label."):
            data["labels"][name.removeprefix("label.")] = value  # type: ignore[index]
        elif name in ("status", "severity", "rule_id"):
            data[name] = [part for part in value.split(",") if part]
        elif not name.startswith("X-Amz-"):  # a SigV4-presigned URL's own parameters
            raise InvalidInput(name, "is not a filter (status, severity, rule_id, label.<name>)")
    return parse_subscription(data, field="query")


def live_message(notice: Notice) -> bytes:
    """The bytes every matching connection receives for this transition (the same each time)."""
    body = document(notice.alert, notice.event, f"{notice.alert.alert_id}:{notice.seq}:live")
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
