"""The sweep: what time alone does to every open alert at a tick (escalation, reminders, lapsed
acknowledgements, silence ends), whatever the alert's source; then to heartbeats (`HeartbeatSweep`).

The heartbeat pass reads the minutes from its cursor to the tick (one Query each, normally one)
and the heartbeats whose due entries are there: those still without a ping after their period
and grace fire (§16). A tick with nothing due costs three requests however many heartbeats
exist. The cursor moves only past minutes it finished: a heartbeat that could not be finished is
given an entry in the next minute, and if even that fails the minute is read again next tick. A
duplicated or late tick finds the cursor past its minutes and reads nothing; one that reads a
minute again sends signals the lifecycle has seen (duplicates: no second alert).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from alerting.errors import ConcurrentUpdate
from alerting.lifecycle import AlertLifecycle
from alerting.lifecycle.signals import lapse, nobody, signal_labels
from alerting.models.alerts import Alert, AlertSource
from alerting.models.common import floor_minute
from alerting.models.policies import EscalationPolicy
from alerting.models.reports import EvaluationSummary
from alerting.models.rules import Rule
from alerting.models.signals import SignalOutcome
from alerting.models.silences import Silence
from alerting.repositories.alerts import AlertRepository
from alerting.repositories.config import ConfigRepository
from alerting.repositories.heartbeats import Found, HeartbeatRepository
from alerting.routing import Router
from alerting.sources.heartbeats import MINUTE, minutes_to_sweep, sweep
from alerting.ticks import time_transition

logger = logging.getLogger(__name__)
CATCH_UP = 60  # minutes one heartbeat pass reads at most: one that fell behind catches up an hour a tick
MAX_ATTEMPTS = 3  # a ping between the read and the write: read again and decide again


@dataclass
class Sweep:
    alerts: AlertRepository
    rules: ConfigRepository[Rule]
    lifecycle: AlertLifecycle
    policies: ConfigRepository[EscalationPolicy] | None = None
    silences: ConfigRepository[Silence] | None = None
    heartbeats: HeartbeatSweep | None = None

    def run(self, rules: dict[str, Rule] | None, tick: datetime, summary: EvaluationSummary) -> None:
        """Each open alert's one due step, as of the tick. Each write is conditional on the version
        read, and each moves its own due time past the tick: a duplicated, retried or overlapping
        tick writes nothing more. ``rules``: None when the tick only planned; then the rules of
        the open alerts are read."""
        open_alerts = self.alerts.open_alerts()
        summary.open_alerts = len(open_alerts)
        lapsed = self._lapse(open_alerts, tick, summary)
        open_alerts = [a for a in open_alerts if a.alert_id not in lapsed]
        if rules is None:
            rules = self.rules.get_many(sorted({a.rule_id for a in open_alerts})) if open_alerts else {}
        wanted = {a.escalation_policy_id for a in open_alerts} - {None}
        policies = {p.policy_id: p for p in self.policies.all()} if wanted and self.policies else {}
        silences = list(self.silences.all()) if open_alerts and self.silences else []
        for alert in open_alerts:
            policy = policies.get(alert.escalation_policy_id or "")
            due = time_transition(alert, rules.get(alert.rule_id), policy, silences, tick)
            if due is None:
                continue
            try:
                self.lifecycle.advance(due)
                summary.time_transitions += 1
            except ConcurrentUpdate:
                continue  # acknowledged or resolved meanwhile: the next tick decides again
            except Exception:
                logger.exception("time-driven transition failed", extra={"alert_id": alert.alert_id})
                summary.errors += 1
        if self.heartbeats is not None:
            try:
                self.heartbeats.run(tick, summary)
            except Exception:  # the minutes it did not finish are read again next tick
                logger.exception("heartbeat sweep failed")
                summary.errors += 1

    def _lapse(self, open_alerts: list[Alert], tick: datetime, summary: EvaluationSummary) -> set[str]:
        """Alerts whose source gave an end that passed with no word since (Prometheus's `endsAt`)
        resolve, as in Alertmanager (one BatchGetItem of what the sources said last, per hundred
        such alerts). Returns the ids of those resolved."""
        ending = [a for a in open_alerts if a.source is AlertSource.prometheus]
        said = self.alerts.latest_many([a.fingerprint for a in ending]) if ending else {}
        lapsed: set[str] = set()
        for alert in ending:
            if lapse(said.get(alert.fingerprint), alert, tick).outcome is not SignalOutcome.resolved:
                continue
            try:
                if self.lifecycle.lapse(alert.fingerprint, tick) is SignalOutcome.resolved:
                    summary.alerts_resolved += 1
                    lapsed.add(alert.alert_id)
            except Exception:
                logger.exception("lapsed alert not resolved", extra={"alert_id": alert.alert_id})
                summary.errors += 1
        return lapsed


@dataclass
class HeartbeatSweep:
    heartbeats: HeartbeatRepository
    lifecycle: AlertLifecycle
    router: Router | None = None  # who hears a heartbeat's alert (None: the stack's topic alone)

    def run(self, tick: datetime, summary: EvaluationSummary) -> None:
        minutes = minutes_to_sweep(self.heartbeats.swept(), tick, CATCH_UP)
        finished = None
        try:
            for minute in minutes:
                self._minute(minute, tick, summary)
                finished = minute
        finally:
            if finished is not None:
                self.heartbeats.save_swept(finished)

    def _minute(self, minute: datetime, tick: datetime, summary: EvaluationSummary) -> None:
        due = self.heartbeats.due(minute)
        found = self.heartbeats.found(due) if due else {}
        for heartbeat_id, pair in found.items():
            try:
                self._one(heartbeat_id, pair, tick, summary)
            except Exception:
                logger.exception("heartbeat sweep failed", extra={"heartbeat_id": heartbeat_id})
                summary.errors += 1
                self.heartbeats.add_entry(heartbeat_id, floor_minute(tick) + MINUTE)  # looked at again next tick

    def _one(self, heartbeat_id: str, found: Found, tick: datetime, summary: EvaluationSummary) -> None:
        """Marked down before it fires: a ping that comes between sees it down and resolves it."""
        for _ in range(MAX_ATTEMPTS):
            heartbeat, state = found
            step = sweep(heartbeat, state, tick)
            if step.state is not None:
                try:
                    self.heartbeats.save(step.state, step.drop, step.add)
                except ConcurrentUpdate:
                    found = self.heartbeats.find(heartbeat_id)
                    continue
            if step.signal is not None:
                summary.heartbeats_due += 1
                route = self.router.at(tick) if self.router is not None else nobody  # read once a tick
                receiver = route(signal_labels(step.signal))
                if self.lifecycle.receive(step.signal, receiver, tick) is SignalOutcome.opened:
                    summary.heartbeats_fired += 1
            return
        raise ConcurrentUpdate(f"heartbeat {heartbeat_id!r} kept changing while the sweep decided")
