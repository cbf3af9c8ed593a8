"""A rule's datapoints for a time range: what the dashboard draws around a breach.

One point per `window_seconds` (the statistic the rule compares with its threshold), each
condition's metric math applied per timestamp as the evaluator applies it per tick. A range
longer than 1,440 windows is drawn with a period of several windows (the same statistic over
the longer period), so an alert open for days still has its picture.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from alerting.errors import InvalidInput
from alerting.expressions import evaluate, parse
from alerting.models.conditions import MetricSpec
from alerting.models.rules import Rule
from api.schemas import ConditionSeries, Point, RuleDatapoints

MAX_POINTS = 1440  # per condition: a day of minutes
MAX_SPAN = timedelta(days=31)
DEFAULT_SPAN = timedelta(hours=3)


class MetricHistory(Protocol):
    def history(
        self, metrics: Sequence[MetricSpec], period_seconds: int, start: datetime, end: datetime
    ) -> list[dict[datetime, float]]: ...


@dataclass
class DatapointReader:
    metrics: MetricHistory

    def read(
        self, rule: Rule, start: datetime | None, end: datetime | None, series: Mapping[str, str], now: datetime
    ) -> RuleDatapoints:
        end = min(end or now, now)
        start = start or end - DEFAULT_SPAN
        if start >= end:
            raise InvalidInput("start", "must be before end")
        if end - start > MAX_SPAN:
            raise InvalidInput("start", f"the range is longer than {MAX_SPAN.days} days")
        windows = (end - start) / timedelta(seconds=rule.window_seconds)
        period = rule.window_seconds * max(1, math.ceil(windows / MAX_POINTS))
        missing = [d for d in rule.wildcards if d not in series]
        if missing:
            raise InvalidInput("series", f"a fleet rule needs a value for {', '.join(missing)} (Name=Value,...)")
        shown = {d: series[d] for d in rule.wildcards}
        inputs = [{key: m.bound(shown) for key, m in c.inputs.items()} for c in rule.conditions]
        flat = [m for per_condition in inputs for m in per_condition.values()]
        fetched = iter(self.metrics.history(flat, period, start, end))
        conditions = []
        for condition, per_condition in zip(rule.conditions, inputs, strict=True):
            values = {key: next(fetched) for key in per_condition}
            conditions.append(
                ConditionSeries(
                    label=condition.label(),
                    operator=condition.operator.value,
                    threshold=condition.threshold,
                    warning_threshold=condition.warning_threshold,
                    resolve_threshold=condition.resolve_threshold,
                    points=_points(condition.expression, values),
                )
            )
        return RuleDatapoints(
            rule_id=rule.rule_id, start=start, end=end, period_seconds=period, series=shown, conditions=conditions
        )


def _points(expression: str | None, values: dict[str, dict[datetime, float]]) -> list[Point]:
    if expression is None:
        return [Point(t=t, v=v) for t, v in values["value"].items()]
    tree = parse(expression)
    stamps = sorted({t for series in values.values() for t in series})
    computed = ((t, evaluate(tree, {key: series.get(t) for key, series in values.items()})) for t in stamps)
    return [Point(t=t, v=v) for t, v in computed if v is not None]
