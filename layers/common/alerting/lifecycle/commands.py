"""The one writer of alert items: every change to an alert, from any source, is a command here.

A command reads the alert, computes its next version with a pure transition, and commits the
alert, its history entry and whatever must change with it (the series state that points at it,
a check that its rule is still enabled) in one transaction, conditional on the version read.
The evaluator, the sweep and the API write the same items, so a lost race is normal: the
people's commands read again and decide again; the evaluator's caller does the same with a
fresh decision.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from alerting.errors import ConcurrentUpdate, Conflict
from alerting.evaluation import Decision
from alerting.lifecycle.rule_alerts import EVALUATOR, change_severity, forget_alert, recover, settle, start_alert
from alerting.lifecycle.signals import Receiver, SignalStep, lapse, nobody, step
from alerting.lifecycle.transitions import acknowledge, resolve, unacknowledge
from alerting.models.alerts import Alert, ConditionValue, Resolution, SeriesState, Transition
from alerting.models.common import epoch
from alerting.models.signals import Latest, Signal, SignalOutcome

if TYPE_CHECKING:
    from alerting.models.rules import Rule
    from alerting.repositories.alerts import AlertRepository
    from alerting.repositories.config import ConfigRepository
    from alerting.repositories.dynamo import Item
    from alerting.repositories.state import StateRepository
    from alerting.routing import Router

MAX_ATTEMPTS = 3  # a lost race is retried after re-reading; the re-read normally settles it

Step = Callable[[Alert], tuple[Alert, Transition]]


@dataclass
class AlertLifecycle:
    alerts: AlertRepository
    states: StateRepository
    rules: ConfigRepository[Rule] | None = None  # checked by record(): no alert starts for a disabled rule
    router: Router | None = None  # who else hears a rule's alert as it starts (None: its rule's audience alone)

    # -- a rule's evaluation (the evaluator) ------------------------------------------------------
    def record(self, rule: Rule, decision: Decision, values: list[ConditionValue], now: datetime) -> None:
        """A series' changed decision: its state, the alerts it starts, recovers, re-levels or
        settles. ConcurrentUpdate when another writer got in first (decide again and retry)."""
        operations = [self.states.put_op(decision.state)]
        route = self.router.at(now) if self.router is not None and decision.fire else nobody
        for change in decision.fire:
            alert = start_alert(rule, decision.state, change, values, now, route)
            operations += self.alerts.write_ops(alert, alert.last_transition)
        if decision.fire and self.rules is not None:  # never start an alert for a rule disabled since the tick began
            operations.append(self.rules.enabled_check(rule.rule_id))
        for change in decision.resolve:
            current = self.alerts.get(change.alert_id)
            if current.is_open:  # resolved by hand meanwhile: nothing to announce
                operations += self.alerts.write_ops(*recover(current, rule, values, now, reason=change.reason))
        # A severity change and a settle on one tick are two transitions of one alert: the second
        # builds on the first, and the alert item is written once (one transaction may not write
        # an item twice).
        changed: Alert | None = None
        transitions: list[Transition] = []
        if decision.level is not None:
            changed, transition = change_severity(
                self.alerts.get(decision.level.alert_id), rule, values, decision.level, now
            )
            transitions.append(transition)
        if decision.settle is not None:
            same = changed is not None and changed.alert_id == decision.settle.alert_id
            if changed is not None and not same:
                operations += self.alerts.write_ops(changed, *transitions)
                transitions = []
            base = changed if changed is not None and same else self.alerts.get(decision.settle.alert_id)
            changed, transition = settle(base, decision.settle, now)
            transitions.append(transition)
        if changed is not None:
            operations += self.alerts.write_ops(changed, *transitions)
        self.alerts.commit(operations)

    def retire(self, state: SeriesState, reason: str, now: datetime) -> int:
        """A series no rule owns any more: its open alerts resolved and its state dropped, at once.
        Returns how many alerts it resolved."""
        operations = [self.states.delete_op(state)]
        resolved = 0
        for alert_id in filter(None, (state.alert_id, state.nodata_alert_id, state.error_alert_id)):
            current = self.alerts.get(alert_id)
            if current.is_open:
                operations += self.alerts.write_ops(
                    *resolve(current, EVALUATOR, now, reason=reason, resolution=Resolution.auto)
                )
                resolved += 1
        self.alerts.commit(operations)
        return resolved

    # -- other sources (CloudWatch alarms, the Alertmanager and Events APIs, heartbeats) -----------
    def receive(self, signal: Signal, receiver: Receiver, now: datetime) -> SignalOutcome:
        """A source's signal: opens, resolves or only remembers (signals.step); a lost race reads
        again, so two deliveries of one event at once still act once."""
        return self._remembered(
            signal.fingerprint, lambda latest, current: step(signal, latest, current, receiver, now)
        )

    def lapse(self, fingerprint: str, now: datetime) -> SignalOutcome:
        """A source's firing state whose end passed without the source repeating it: its alert
        resolves (signals.lapse; Prometheus's `endsAt`). Decided again on a lost race, so a
        resend that lands first keeps the alert open."""
        return self._remembered(fingerprint, lambda latest, current: lapse(latest, current, now))

    def _remembered(
        self, fingerprint: str, decide: Callable[[Latest | None, Alert | None], SignalStep]
    ) -> SignalOutcome:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            latest = self.alerts.latest(fingerprint)
            current = self.alerts.get(latest.opened) if latest and latest.opened else None
            outcome, remembered, change = decide(latest, current)
            if remembered is None:
                return outcome
            writes = self.alerts.write_ops(*change) if change else []
            try:
                self.alerts.commit([self.alerts.latest_op(remembered), *writes])
                return outcome
            except ConcurrentUpdate:
                if attempt == MAX_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def acknowledge_opened(self, fingerprint: str, by: str, now: datetime) -> Alert | None:
        """A source's acknowledgement (the Events API's `acknowledge`): the alert it opened last
        under ``fingerprint``, if still firing; None when there is none to acknowledge."""
        latest = self.alerts.latest(fingerprint)
        if latest is None or latest.opened is None:
            return None
        try:
            return self._apply(latest.opened, lambda a: acknowledge(a, by, now, f"acknowledged at the source ({by})"))
        except ConcurrentUpdate:
            raise
        except Conflict:  # acknowledged already, or resolved: as PagerDuty, nothing to do
            return None

    # -- time (the sweep) ------------------------------------------------------------------------
    def advance(self, due: tuple[Alert, Transition]) -> None:
        """A time-driven step (escalation, repeat, lapsed acknowledgement, silence end) computed
        from the alert read; ConcurrentUpdate when the alert changed since (the next tick decides again)."""
        self.alerts.commit(self.alerts.write_ops(*due))

    # -- people (the API) ------------------------------------------------------------------------
    def acknowledge(
        self, alert_id: str, by: str, note: str, now: datetime, expires_in_seconds: int | None = None
    ) -> Alert:
        return self._apply(alert_id, lambda a: acknowledge(a, by, now, note, expires_in_seconds))

    def unacknowledge(self, alert_id: str, by: str, note: str, now: datetime) -> Alert:
        return self._apply(alert_id, lambda a: unacknowledge(a, by, now, note))

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
                    (lambda a: self._series_delete_ops(a.rule_id, a.fingerprint))
                    if delete_series
                    else (lambda a: self._forget_ops(a, now)),
                )
                closed += 1
            except Conflict:
                if self.alerts.get(alert.alert_id).is_open:
                    raise
                # Resolved meanwhile (by the evaluator or a person): nothing left to do.
        if delete_series:
            for state in self.states.for_rule(rule_id):
                self._retrying(partial(self._series_delete_ops, rule_id, state.fingerprint))
        return closed

    def _apply(self, alert_id: str, step: Step, series_ops: Callable[[Alert], list[Item]] = lambda _: []) -> Alert:
        """Read, transition, write; on a lost race read again (the alert may now refuse the step)."""
        updated: Alert | None = None

        def operations() -> list[Item]:
            nonlocal updated
            current = self.alerts.get(alert_id)
            updated, transition = step(current)  # Conflict when the alert no longer fits
            return [*self.alerts.write_ops(updated, transition), *series_ops(current)]

        self._retrying(operations)
        assert updated is not None
        return updated

    def _retrying(self, operations: Callable[[], list[Item]]) -> None:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                self.alerts.commit(operations())
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

    def _series_delete_ops(self, rule_id: str, fingerprint: str) -> list[Item]:
        state = self.states.get(rule_id, fingerprint)
        return [] if state is None else [self.states.delete_op(state)]
