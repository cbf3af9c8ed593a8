"""The past as a replay reads it: each tick's observations from the windows read in advance, and
ListMetrics as of the tick."""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from alerting.backtest.planning import Plan
from alerting.evaluation import Observation
from alerting.metrics import MetricKey, WindowValues, condition_observation, metric_key
from alerting.models.common import epoch
from alerting.models.conditions import MetricSpec
from alerting.models.rules import Rule

RECENTLY_ACTIVE = timedelta(hours=3)  # ListMetrics' RecentlyActive, as discovery lists a fleet

MISSING = Observation(None)


@dataclass
class WindowObserver:
    """Each series' observations at a tick, from the windows read in advance (a plain lookup:
    the tick's queries are what `metrics.queries_for` would ask, answered from ``values``)."""

    planned: Plan
    values: WindowValues
    _inputs: dict[str, list[dict[str, MetricKey]]] = field(default_factory=dict)

    def __call__(self, rule: Rule, tick: datetime, series: list[dict[str, str]]) -> list[list[Observation]]:
        length, end = self.planned.snap(epoch(tick))
        observed = []
        for one in series:
            inputs = self._keys(rule, one)
            observed.append(
                [
                    condition_observation(c, {key: self._observe(m, length, end) for key, m in per.items()})
                    for c, per in zip(rule.conditions, inputs, strict=True)
                ]
            )
        return observed

    def _keys(self, rule: Rule, series: dict[str, str]) -> list[dict[str, MetricKey]]:
        fingerprint = rule.fingerprint_of(series)
        if fingerprint not in self._inputs:
            self._inputs[fingerprint] = [
                {key: metric_key(m.bound(series)) for key, m in c.inputs.items()} for c in rule.conditions
            ]
        return self._inputs[fingerprint]

    def _observe(self, metric: MetricKey, length: int, end: int) -> Observation:
        value = self.values.get((metric, length, end))
        return MISSING if value is None else Observation(value)


class HistoricListing:
    """ListMetrics as of a past tick (``now``, set by the replay): a metric counts as recently
    active while one of its windows ending in the three hours before then had data."""

    def __init__(self, values: WindowValues) -> None:
        self.now: datetime | None = None
        self.calls = 0
        ends: dict[tuple[str, str, tuple[tuple[str, str], ...]], list[int]] = defaultdict(list)
        for metric, _, end in values:
            ends[metric[:3]].append(end)
        self._ends = {key: sorted(found) for key, found in ends.items()}

    def dimensions(self, metric: MetricSpec, *, recently_active: bool) -> list[dict[str, str]]:
        """A `MetricListing` (every listing is as of the three hours before ``now``)."""
        assert self.now is not None
        self.calls += 1
        high = epoch(self.now)
        low = high - int(RECENTLY_ACTIVE.total_seconds())
        found = []
        for (namespace, name, dimensions), ends in sorted(self._ends.items()):
            values = dict(dimensions)
            if namespace != metric.namespace or name != metric.name:
                continue
            if not all(k in values and (k in metric.wildcards or values[k] == v) for k, v in metric.dimensions.items()):
                continue
            after = bisect.bisect_right(ends, low)
            if after < len(ends) and ends[after] <= high:
                found.append(values)
        return found
