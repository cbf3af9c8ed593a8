"""One rule's replay over the windows read, and its report: the alerts, and what the notifier
would have announced or kept quiet."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from alerting.backtest.history import HistoricListing, WindowObserver
from alerting.backtest.planning import Plan
from alerting.cost import metrics_per_month, prices
from alerting.discovery import MetricDirectory
from alerting.metrics import WindowValues
from alerting.models.alerts import Alert, Transition
from alerting.models.common import AlertEvent, floor_minute
from alerting.models.mute_windows import MuteWindow
from alerting.models.policies import EscalationPolicySpec
from alerting.models.silences import Silence, silencing
from alerting.ticks import MINUTE, Change, RuleReplay


@dataclass(frozen=True)
class Quieting:
    """What would have kept a transition quiet in the notifier (inhibition is not replayed)."""

    silences: Sequence[Silence] = ()
    mute_windows: Sequence[MuteWindow] = ()

    def reason(self, alert: Alert, transition: Transition) -> str | None:
        """Silence → mute → flap, as the notifier's stages judge them at the transition's time."""
        silence = silencing(list(self.silences), alert, transition.at)
        if silence is not None:
            return f"silenced by {silence.silence_id}"
        window = next((w for w in self.mute_windows if w.covers(alert, transition.at)), None)
        if window is not None:
            return f"muted by {window.mute_window_id}"
        if alert.flapping and transition.event is not AlertEvent.flapping:
            return "flapping"
        return None


NO_QUIETING = Quieting()


@dataclass(frozen=True)
class BacktestAlert:
    alert_id: str
    series: dict[str, str]
    kind: str
    severity: str  # the highest it reached
    started_at: datetime
    resolved_at: datetime | None
    peak: float | None
    firing_seconds: int
    flapping: bool


@dataclass(frozen=True)
class Notification:
    alert_id: str
    series: dict[str, str]
    event: str
    at: datetime
    suppressed_by: str | None


@dataclass(frozen=True)
class Outcome:
    """One rule's replay: its alerts and what would have been announced."""

    plan: Plan
    alerts: list[BacktestAlert]
    notifications: list[Notification]
    transitions: dict[str, int]
    evaluations: int

    @property
    def firing_seconds(self) -> int:
        return sum(a.firing_seconds for a in self.alerts)

    @property
    def flaps(self) -> int:
        return self.transitions.get(AlertEvent.flapping.value, 0)

    @property
    def sent(self) -> int:
        return sum(1 for n in self.notifications if n.suppressed_by is None)

    @property
    def suppressed(self) -> dict[str, int]:
        return dict(Counter(n.suppressed_by for n in self.notifications if n.suppressed_by is not None))

    def monthly_usd(self) -> float:
        """The rule's GetMetricData a month in production, at its series."""
        own = metrics_per_month([self.plan.rule], {self.plan.rule.rule_id: len(self.plan.series)})[1]
        return float(own.get(self.plan.rule.rule_id, 0) * prices()["get_metric_data_per_metric"])


def replay(
    planned: Plan,
    values: WindowValues,
    *,
    policy: EscalationPolicySpec | None = None,
    quieting: Quieting = NO_QUIETING,
    progress: Callable[[datetime], None] | None = None,
) -> Outcome:
    """Every minute of the plan's range through the evaluator's steps, over the windows read."""
    listing = HistoricListing(values)
    runner = RuleReplay(
        planned.rule,
        WindowObserver(planned, values),
        directory=MetricDirectory(listing) if planned.rule.wildcards else None,
        policy=policy,
        silences=list(quieting.silences),
        clock=lambda tick: setattr(listing, "now", tick),
    )
    runner.run(planned.start, floor_minute(planned.end) - MINUTE, progress)
    return report(planned, runner, quieting)


def report(planned: Plan, runner: RuleReplay, quieting: Quieting) -> Outcome:
    severities: dict[str, list[str]] = defaultdict(list)
    flapped: set[str] = set()
    for change in runner.changes:
        severities[change.alert.alert_id].append(change.alert.severity.value)
        if change.alert.flapping:
            flapped.add(change.alert.alert_id)
    alerts = [
        _alert(a, planned.end, runner.peaks.get(a.alert_id), severities[a.alert_id], a.alert_id in flapped)
        for a in runner.alerts.values()
    ]
    notifications = [_notification(c, quieting) for c in runner.changes]
    return Outcome(
        plan=planned,
        alerts=sorted(alerts, key=lambda a: (a.started_at, sorted(a.series.items()), a.alert_id)),
        notifications=sorted(notifications, key=lambda n: (n.at, n.alert_id)),
        transitions=dict(Counter(c.transition.event.value for c in runner.changes)),
        evaluations=runner.evaluations,
    )


_RANK = {"critical": 5, "high": 4, "medium": 3, "low": 2, "info": 1}


def _alert(alert: Alert, end: datetime, peak: float | None, severities: list[str], flapped: bool) -> BacktestAlert:
    resolved = alert.resolved_at
    until = resolved or floor_minute(end)
    return BacktestAlert(
        alert_id=alert.alert_id,
        series=alert.series,
        kind=alert.kind.value,
        severity=max(severities or [alert.severity.value], key=_RANK.__getitem__),
        started_at=alert.started_at,
        resolved_at=resolved,
        peak=peak,
        firing_seconds=int((until - alert.started_at).total_seconds()),
        flapping=flapped,
    )


def _notification(change: Change, quieting: Quieting) -> Notification:
    return Notification(
        alert_id=change.alert.alert_id,
        series=change.alert.series,
        event=change.transition.event.value,
        at=change.transition.at,
        suppressed_by=quieting.reason(change.alert, change.transition),
    )
