"""`GET /summary` and `GET /health`: read what they need, let `alerting.reports` decide."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerting.cost import estimate
from alerting.errors import InvalidInput
from alerting.models.alerts import Alert
from alerting.models.channels import Channel
from alerting.models.reports import AlertSummary, CostReport
from alerting.models.rules import Rule
from alerting.reports import assess_health, summarize
from alerting.repositories.alerts import AlertRepository
from alerting.repositories.config import ConfigRepository, RunLog
from alerting.repositories.queues import DeadLetterQueues
from alerting.repositories.state import StateRepository
from api.schemas import HealthReport

MAX_SUMMARY_DAYS = 90  # the summary reads every alert in the window; bound the work of one request


@dataclass
class ReportService:
    alerts: AlertRepository
    runs: RunLog
    queues: DeadLetterQueues
    version: str
    rules: ConfigRepository[Rule]
    channels: ConfigRepository[Channel]
    states: StateRepository

    def summary(self, since: datetime | None, now: datetime) -> AlertSummary:
        start = since or now - timedelta(hours=24)
        if start > now:
            raise InvalidInput("since", "is in the future")
        if now - start > timedelta(days=MAX_SUMMARY_DAYS):
            raise InvalidInput("since", f"reaches back more than {MAX_SUMMARY_DAYS} days")
        alerts = list(self.alerts.since(start))
        summary = summarize(alerts, start, now, suppressed=self.runs.suppressed_since(start))
        return summary.model_copy(update={"cost": self.cost(alerts, now - start)})

    def cost(self, alerts: list[Alert], window: timedelta) -> CostReport:
        """The stored rules at their real series (a Query per fleet rule), the last tick's
        duration and writes, and the window's deliveries scaled to a month."""
        rules = list(self.rules.all())
        series = {r.rule_id: len(self.states.for_rule(r.rule_id)) for r in rules if r.wildcards}
        kinds = {
            c.channel_id: c.type.value
            for c in self.channels.get_many(sorted({i for a in alerts for i in a.channels})).values()
        }
        scale = timedelta(days=30) / max(window, timedelta(hours=1))
        sent: Counter[str] = Counter()
        for alert in alerts:  # each version is a transition: the topic hears each, and the alert's channels
            sent["topic"] += alert.version
            for channel_id in alert.channels:
                sent[kinds.get(channel_id, "other")] += alert.version
        deliveries = {kind: round(count * scale) for kind, count in sent.items()}
        return estimate(rules, series=series, last_tick=self.runs.last(), deliveries=deliveries)

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
