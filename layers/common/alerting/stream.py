"""A transition announced on the alerts-table stream, as both of its consumers (the notifier
and the live broadcaster) see it. Reading it from a stream record is the adapter's part
(``alerting.repositories.stream_records``)."""

from __future__ import annotations

from dataclasses import dataclass

from alerting.models.alerts import Alert
from alerting.models.common import AlertEvent


@dataclass(frozen=True)
class Notice:
    alert: Alert
    event: AlertEvent
    seq: int
