"""Which series a fleet rule watches: `ListMetrics` for each condition's metric, cached.

A condition such as ``CPUUtilization{InstanceId=*}`` is listed with its fixed dimensions as
filters and each wildcard as a name-only filter, `RecentlyActive=PT3H` (metrics with data in
the last three hours; the call is the adapter's, ``alerting.repositories.cloudwatch``). A
listed metric counts only if its dimension names are exactly the condition's (GetMetricData
needs the exact set). The conditions of a rule join on the wildcard
dimensions: the rule's series are the union of every condition's bindings (a series one
condition lacks reads as missing data there), together with the series the rule already has
state for (so a series that stops reporting is still evaluated until it resolves or retires).
The lists are cached for five minutes per metric, on the tick's clock (the time being
evaluated, not the wall clock): a new instance is picked up within five minutes of tick time,
in production as in a replay that runs months of ticks in seconds, and a steady tick costs no
ListMetrics call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from alerting.errors import MetricsUnavailable
from alerting.models.conditions import MetricSpec
from alerting.models.rules import Rule

Binding = tuple[tuple[str, str], ...]  # a wildcard dimension's values, sorted by name
CACHE_AGE = timedelta(minutes=5)


class MetricListing(Protocol):
    """ListMetrics: ``CloudWatchListing`` in production, the backtest's historic listing in a replay."""

    calls: int  # ListMetrics calls made, a page each

    def dimensions(self, metric: MetricSpec, *, recently_active: bool) -> list[dict[str, str]]:
        """The dimensions of every metric listed under ``metric``'s fixed dimensions and wildcard
        names, with data in the last three hours (``recently_active``) or else in two weeks."""
        ...


class MetricDirectory:
    """A ``listing`` behind a cache of ``max_age`` of tick time."""

    def __init__(self, listing: MetricListing, *, max_age: timedelta = CACHE_AGE) -> None:
        self._listing = listing
        self._max_age = max_age
        self._cache: dict[tuple[object, ...], tuple[datetime, list[Binding]]] = {}

    @property
    def calls(self) -> int:
        return self._listing.calls

    def bindings(self, metric: MetricSpec, at: datetime) -> list[Binding]:
        """Every series of ``metric``'s wildcards that reported in the three hours before ``at``
        (a list fetched for an earlier tick serves until it is ``max_age`` older than ``at``;
        one fetched for a later tick, as when a replay starts again, does not)."""
        key = (metric.namespace, metric.name, tuple(sorted(metric.dimensions.items())))
        cached = self._cache.get(key)
        if cached is not None and timedelta(0) <= at - cached[0] < self._max_age:
            return cached[1]
        found = self._list(metric)
        self._cache[key] = (at, found)
        return found

    def every_series(self, metric: MetricSpec) -> list[Binding]:
        """Every series of ``metric``'s wildcards that reported in the last two weeks (ListMetrics
        without `RecentlyActive`, uncached): the candidates of a backtest over the past."""
        return self._list(metric, recently_active=False)

    def _list(self, metric: MetricSpec, recently_active: bool = True) -> list[Binding]:
        names = set(metric.dimensions)
        listed = self._listing.dimensions(metric, recently_active=recently_active)
        return sorted({tuple((k, found[k]) for k in metric.wildcards) for found in listed if set(found) == names})


@dataclass(frozen=True)
class Fleet:
    """The series a rule evaluates this tick, and how many more it has beyond `max_series`."""

    series: list[dict[str, str]]
    excess: int = 0


def fleet(
    rule: Rule, directory: MetricDirectory | None, at: datetime, known: Iterable[Mapping[str, str]] = ()
) -> Fleet:
    """A single-series rule is one series; a fleet rule is every binding of its wildcards that
    any condition lists as of tick ``at``, plus the ones it has state for, in a stable order, capped."""
    if not rule.wildcards:
        return Fleet([rule.series])
    if directory is None:
        raise MetricsUnavailable("fleet rules need a metric directory (ListMetrics)")
    listed: set[Binding] = set()
    for condition in rule.conditions:
        for metric in condition.inputs.values():
            if metric.wildcards:
                listed.update(directory.bindings(metric, at))
    stored = {tuple((k, s[k]) for k in rule.wildcards) for s in known if rule.owns(s)}
    ordered = sorted(stored) + sorted(listed - stored)  # series with state first: they keep their place
    kept = ordered[: rule.max_series]
    return Fleet([rule.series_of(dict(b)) for b in kept], excess=len(ordered) - len(kept))
