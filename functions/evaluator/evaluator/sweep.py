"""The sweep: what time alone does to every open alert at a tick (escalation, reminders, lapsed
acknowledgements, silence ends), whatever the alert's source."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from alerting.errors import ConcurrentUpdate
from alerting.lifecycle import AlertLifecycle
from alerting.lifecycle.signals import lapse
from alerting.models.alerts import Alert, AlertSource
from alerting.models.policies import EscalationPolicy
from alerting.models.reports import EvaluationSummary
from alerting.models.rules import Rule
from alerting.models.signals import SignalOutcome
from alerting.models.silences import Silence
from alerting.repositories.alerts import AlertRepository
from alerting.repositories.config import ConfigRepository
from alerting.ticks import time_transition

logger = logging.getLogger(__name__)


@dataclass
class Sweep:
    alerts: AlertRepository
    rules: ConfigRepository[Rule]
    lifecycle: AlertLifecycle
    policies: ConfigRepository[EscalationPolicy] | None = None
    silences: ConfigRepository[Silence] | None = None

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
