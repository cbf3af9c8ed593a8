"""`GET /summary` and `GET /health`: read what they need, let `alerting.reports` decide."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from alerting.errors import InvalidInput
from alerting.models.reports import AlertSummary
from alerting.reports import assess_health, summarize
from alerting.repositories.alerts import AlertRepository
from alerting.repositories.config import RunLog
from api.schemas import HealthReport

MAX_SUMMARY_DAYS = 90  # the summary reads every alert in the window; bound the work of one request


class DeadLetterQueues:
    """Approximate depth of each dead-letter queue; None when a queue cannot be read."""

    def __init__(self, client: Any, urls: dict[str, str]) -> None:
        self._client = client
        self._urls = urls

    def depths(self) -> dict[str, int | None]:
        depths: dict[str, int | None] = {}
        for name, url in self._urls.items():
            try:
                attributes = self._client.get_queue_attributes(
                    QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
                )["Attributes"]
                depths[name] = int(attributes["ApproximateNumberOfMessages"])
            except (ClientError, BotoCoreError):
                depths[name] = None  # health must answer even when a queue does not
        return depths


@dataclass
class ReportService:
    alerts: AlertRepository
    runs: RunLog
    queues: DeadLetterQueues
    version: str

    def summary(self, since: datetime | None, now: datetime) -> AlertSummary:
        start = since or now - timedelta(hours=24)
        if start > now:
            raise InvalidInput("since", "is in the future")
        if now - start > timedelta(days=MAX_SUMMARY_DAYS):
            raise InvalidInput("since", f"reaches back more than {MAX_SUMMARY_DAYS} days")
        return summarize(self.alerts.since(start), start, now, suppressed=self.runs.suppressed_since(start))

    def health(self, now: datetime) -> HealthReport:
        last = self.runs.last()
        depths = self.queues.depths()
        check = assess_health(last, depths, now)
        return HealthReport(
            status=check.status,
            version=self.version,
            last_run=last,
            evaluation_lag_seconds=check.lag_seconds,
            dead_letter_messages={name: depth for name, depth in depths.items() if depth is not None},
            reasons=list(check.reasons),
        )
