"""`GET /api/v2/alerts` and `/alerts/groups`: our open alerts, from every source, as Alertmanager
shows its alerts (`gettableAlert`), with their status (silenced by which silences, inhibited
by which alerts) and receivers, filtered as its API filters.

Labels: a Prometheus alert's as sent (with its integration's); any other alert's as silences
and routes see them (`alert_labels`: its labels, series, `source`, `rule_id`, `severity`...),
with `alertname` its name. `fingerprint` is Alertmanager's, of those labels. `endsAt`: a
Prometheus alert's `endsAt` as last sent; for other sources, which send no end, Go's zero time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from alerting.models.alerts import Alert, AlertSource
from alerting.models.inhibitions import Inhibition
from alerting.models.silences import Matcher, Silence, alert_labels, compile_re2
from alerting.sources.prometheus.matchers import fingerprint, matches_filter
from alerting.sources.prometheus.shapes import (
    GO_ZERO_TIME,
    AlertGroup,
    AlertState,
    AlertStatus,
    GettableAlert,
    ReceiverReference,
    rfc3339,
)

Receivers = Callable[[dict[str, str]], list[str]]  # what matchers see of an alert → its receivers' names


def shown_labels(alert: Alert) -> dict[str, str]:
    if alert.source is AlertSource.prometheus:
        return dict(alert.labels)
    return {"alertname": alert.rule_name, **alert_labels(alert)}


@dataclass(frozen=True)
class Quieting:
    """What may hold an alert back, as of one moment: the silences and inhibitions, and the
    open alerts an inhibition's source is looked for among."""

    silences: Sequence[Silence] = ()
    inhibitions: Sequence[Inhibition] = ()
    open_alerts: Sequence[Alert] = ()

    def status(self, alert: Alert, now: datetime) -> AlertStatus:
        labels = alert_labels(alert)
        silenced = sorted(s.silence_id for s in self.silences if s.covers(alert, now, labels))
        sources = (rule.source_of(alert, self.open_alerts) for rule in self.inhibitions)
        inhibited = sorted({fingerprint(shown_labels(source)) for source in sources if source is not None})
        state = AlertState.suppressed if silenced or inhibited else AlertState.active
        return AlertStatus(state=state, silencedBy=silenced, inhibitedBy=inhibited)


def gettable(alert: Alert, status: AlertStatus, receivers: list[str], ends_at: datetime | None) -> GettableAlert:
    """``ends_at``: the end the source last gave (Prometheus's `endsAt`), if any."""
    labels = shown_labels(alert)
    end = ends_at or (alert.resolved_at if not alert.is_open else None)
    return GettableAlert(
        labels=labels,
        annotations=dict(alert.annotations),
        receivers=[ReceiverReference(name=name) for name in receivers],
        fingerprint=fingerprint(labels),
        startsAt=rfc3339(alert.started_at),
        updatedAt=rfc3339(alert.updated_at),
        endsAt=rfc3339(end) if end else GO_ZERO_TIME,
        status=status,
        generatorURL=alert.source_url,
    )


@dataclass(frozen=True)
class AlertQuery:
    """The query of `GET /alerts` (and `/alerts/groups`): which states to include, `filter`
    matchers on the labels, a `receiver` regular expression on the receivers' names."""

    active: bool = True
    silenced: bool = True
    inhibited: bool = True
    filters: list[Matcher] = field(default_factory=list)
    receiver: Any | None = None  # RE2, anchored as Alertmanager anchors it

    @classmethod
    def of(
        cls, active: bool, silenced: bool, inhibited: bool, filters: list[Matcher], receiver: str | None
    ) -> AlertQuery:
        """ValueError for a `receiver` expression RE2 refuses."""
        pattern = compile_re2(f"^(?:{receiver})$") if receiver is not None else None
        return cls(active, silenced, inhibited, filters, pattern)

    def admits(self, alert: GettableAlert) -> bool:
        status = alert.status
        if not self.active and status.state is AlertState.active:
            return False
        if not self.silenced and status.silencedBy:
            return False
        if not self.inhibited and status.inhibitedBy:
            return False
        if self.receiver is not None and not any(self.receiver.fullmatch(r.name) for r in alert.receivers):
            return False
        return matches_filter(self.filters, alert.labels)


def listed(
    alerts: Sequence[Alert],
    query: AlertQuery,
    quieting: Quieting,
    receivers: Receivers,
    ends: Mapping[str, datetime],
    now: datetime,
) -> list[GettableAlert]:
    """The open ``alerts`` the query admits, by fingerprint as Alertmanager sorts them. ``ends``:
    the ends their sources gave, by alert id; an alert whose end has passed is left out (as in
    Alertmanager: the sweep resolves it)."""
    found = []
    for alert in alerts:
        ends_at = ends.get(alert.alert_id)
        if not alert.is_open or (ends_at is not None and ends_at <= now):
            continue
        shown = gettable(alert, quieting.status(alert, now), receivers(alert_labels(alert)), ends_at)
        if query.admits(shown):
            found.append(shown)
    return sorted(found, key=lambda a: a.fingerprint)


def groups(alerts: Sequence[GettableAlert], query: AlertQuery, muted: bool = True) -> list[AlertGroup]:
    """The alerts by receiver, one group each (a route without `group_by` groups all its alerts
    under no labels); only the receivers the query's `receiver` admits, and without ``muted``
    no group whose every alert is suppressed."""
    by_receiver: dict[str, list[GettableAlert]] = {}
    for alert in alerts:
        for receiver in alert.receivers:
            if query.receiver is None or query.receiver.fullmatch(receiver.name):
                by_receiver.setdefault(receiver.name, []).append(alert)
    return [
        AlertGroup(labels={}, receiver=ReceiverReference(name=name), alerts=members)
        for name, members in sorted(by_receiver.items())
        if muted or any(a.status.state is AlertState.active for a in members)
    ]
