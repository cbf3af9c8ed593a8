"""Alert reads, and the transitions people make (acknowledge, resolve, closing a rule's alerts)
handed to the alert lifecycle, the one writer of alert items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alerting.errors import InvalidInput
from alerting.lifecycle import AlertLifecycle
from alerting.models.alerts import Alert, Transition
from alerting.models.channels import DeliveryRecord
from alerting.models.common import Page
from alerting.repositories.alerts import AlertFilter, AlertRepository


@dataclass
class AlertService:
    alerts: AlertRepository
    lifecycle: AlertLifecycle

    def page(self, filters: AlertFilter, limit: int, next_token: str | None, now: datetime) -> Page[Alert]:
        if filters.since is not None and filters.since > now:
            raise InvalidInput("since", "is in the future")
        if filters.since is not None and filters.until is not None and filters.since > filters.until:
            raise InvalidInput("until", "is before since")
        return self.alerts.page(filters, limit, next_token)

    def get(self, alert_id: str) -> Alert:
        return self.alerts.get(alert_id)

    def history(self, alert_id: str) -> Page[Transition]:
        self.alerts.get(alert_id)  # 404 for an unknown alert rather than an empty list
        return Page[Transition](items=self.alerts.history(alert_id))

    def deliveries(self, alert_id: str) -> Page[DeliveryRecord]:
        self.alerts.get(alert_id)
        return Page[DeliveryRecord](items=self.alerts.deliveries(alert_id))

    def acknowledge(
        self, alert_id: str, by: str, note: str, now: datetime, expires_in_seconds: int | None = None
    ) -> Alert:
        return self.lifecycle.acknowledge(alert_id, by, note, now, expires_in_seconds)

    def unacknowledge(self, alert_id: str, by: str, note: str, now: datetime) -> Alert:
        return self.lifecycle.unacknowledge(alert_id, by, note, now)

    def resolve(self, alert_id: str, by: str, note: str, now: datetime) -> Alert:
        return self.lifecycle.resolve(alert_id, by, note, now)

    def close_for_rule(self, rule_id: str, actor: str, now: datetime, *, reason: str, delete_series: bool) -> int:
        return self.lifecycle.close_for_rule(rule_id, actor, now, reason=reason, delete_series=delete_series)
