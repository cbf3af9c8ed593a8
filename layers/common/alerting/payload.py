"""The versioned JSON document of a transition: the SNS message body and the webhook body.

Consumers switch on ``schema_version``; fields are only ever added within a version.
"""

from __future__ import annotations

from typing import Any

from alerting.models.alerts import Alert
from alerting.models.common import AlertEvent

SCHEMA_VERSION = "1"


def document(alert: Alert, event: AlertEvent, delivery_id: str) -> dict[str, Any]:
    data = alert.model_dump(mode="json")
    return {
        "schema_version": SCHEMA_VERSION,
        "delivery_id": delivery_id,
        "event": event.value,
        "transition": data.pop("last_transition"),
        "alert": data,
    }
