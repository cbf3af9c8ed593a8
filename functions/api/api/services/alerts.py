"""Alert reads and the transitions people make: acknowledge, resolve, and closing a rule's alerts.

Every transition is one transaction: the alert at its next version (conditional on the version
read), its history entry, and, when the alert ends by hand, the series state that pointed at it.
The evaluator writes the same items, so a lost race is normal: re-read, decide again, retry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from alerting.errors import ConcurrentUpdate, Conflict, InvalidInput
from alerting.lifecycle import acknowledge, forget_alert, resolve, unacknowledge
from alerting.models.alerts import Alert, Resolution, Transition
from alerting.models.channels import DeliveryRecord
from alerting.models.common import Page, epoch
from alerting.repositories.alerts import AlertFilter, AlertRepository
from alerting.repositories.dynamo import Item, transact
from alerting.repositories.state import StateRepository
from api.services.paging import checked_token

MAX_ATTEMPTS = 3

Change = Callable[[Alert], tuple[Alert, Transition]]
SeriesOps = Callable[[Alert], list[Item]]


@dataclass
class AlertService:
    alerts: AlertRepository
    states: StateRepository
    dynamodb: Any

    def page(self, filters: AlertFilter, limit: int, next_token: str | None, now: datetime) -> Page[Alert]:
        if filters.since is not None and filters.since > now:
            raise InvalidInput("since", "is in the future")
        if filters.since is not None and filters.until is not None and filters.since > filters.until:
            raise InvalidInput("until", "is before since")
        with checked_token(next_token):
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
        return self._apply(alert_id, lambda a: acknowledge(a, by, now, note, expires_in_seconds), lambda _: [])

    def unacknowledge(self, alert_id: str, by: str, note: str, now: datetime) -> Alert:
        return self._apply(alert_id, lambda a: unacknowledge(a, by, now, note), lambda _: [])

    def resolve(self, alert_id: str, by: str, note: str, now: datetime) -> Alert:
        """Resolve by hand; the series forgets its breaches, so it fires again only after M of N new ones."""
        return self._apply(
            alert_id,
            lambda a: resolve(a, by, now, reason=f"resolved by {by}", resolution=Resolution.manual, note=note),
            lambda a: self._forget_ops(a, now),
        )

    def close_for_rule(self, rule_id: str, actor: str, now: datetime, *, reason: str, delete_series: bool) -> int:
        """Resolve every open alert of a rule (disabled or deleted); returns how many were resolved.

        With `delete_series` the rule's series states go too, those without an open alert included.
        """
        closed = 0
        for alert in self.alerts.open_for_rule(rule_id):
            try:
                self._apply(
                    alert.alert_id,
                    lambda a: resolve(a, actor, now, reason=reason, resolution=Resolution.auto),
                    self._delete_ops if delete_series else lambda a: self._forget_ops(a, now),
                )
                closed += 1
            except Conflict:
                if self.alerts.get(alert.alert_id).is_open:
                    raise
                # Resolved meanwhile (by the evaluator or a person): nothing left to do.
        if delete_series:
            for state in self.states.for_rule(rule_id):
                self._retrying(partial(self._delete_series, rule_id, state.fingerprint))
        return closed

    def _apply(self, alert_id: str, change: Change, series_ops: SeriesOps) -> Alert:
        """Read, transition, write; on a lost race read again (the alert may now refuse the change)."""
        updated: Alert | None = None

        def operations() -> list[Item]:
            nonlocal updated
            current = self.alerts.get(alert_id)
            updated, transition = change(current)  # Conflict when the alert no longer fits
            return [*self.alerts.write_ops(updated, transition), *series_ops(current)]

        self._retrying(operations)
        assert updated is not None
        return updated

    def _retrying(self, operations: Callable[[], list[Item]]) -> None:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                transact(self.dynamodb, operations())
                return
            except ConcurrentUpdate:
                if attempt == MAX_ATTEMPTS:
                    raise

    def _forget_ops(self, alert: Alert, now: datetime) -> list[Item]:
        """Clear the series' breach history, if the series still points at this alert."""
        state = self.states.get(alert.rule_id, alert.fingerprint)
        if state is None or alert.alert_id not in (state.alert_id, state.nodata_alert_id, state.error_alert_id):
            return []
        return [self.states.put_op(forget_alert(state, alert, epoch(now)))]

    def _delete_ops(self, alert: Alert) -> list[Item]:
        return self._delete_series(alert.rule_id, alert.fingerprint)

    def _delete_series(self, rule_id: str, fingerprint: str) -> list[Item]:
        state = self.states.get(rule_id, fingerprint)
        return [] if state is None else [self.states.delete_op(state)]
