"""Test data builders: valid by default, override what the test is about."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from alerting.evaluation import Decision, Observation, evaluate_series
from alerting.models.alerts import SeriesState
from alerting.models.rules import Rule
from alerting.models.silences import Silence

T0 = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)  # minute 29,918,880 since the epoch: divisible by 2, 3, 5


def metric(name: str = "CPUUtilization", **overrides: Any) -> dict[str, Any]:
    return {"namespace": "App/Service", "name": name, "dimensions": {"Service": "web"}, **overrides}


def condition(operator: str = "gte", threshold: float = 85, **overrides: Any) -> dict[str, Any]:
    return {"metric": metric(), "operator": operator, "threshold": threshold, **overrides}


def rule_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "rule_id": "high-cpu",
        "name": "High CPU",
        "severity": "high",
        "category": "performance",
        "conditions": [condition()],
        "window_seconds": 300,
        "breaches_to_fire": 1,
    }
    data.update(overrides)
    return data


def make_silence(**overrides: Any) -> Silence:
    """Silence "drill" over the factory rule's alerts (rule_id high-cpu), active an hour either side of T0."""
    data = {
        "silence_id": "drill",
        "matchers": [{"label": "rule_id", "value": "high-cpu"}],
        "starts_at": T0 - timedelta(hours=1),
        "ends_at": T0 + timedelta(hours=1),
        "created_by": "alice",
        "created_at": T0,
        "updated_at": T0,
    }
    return Silence.model_validate(data | overrides)


def make_rule(**overrides: Any) -> Rule:
    return Rule.model_validate(rule_data(**overrides))


Values = float | None | Sequence[float | None]


def observations(values: Values) -> list[Observation]:
    items = values if isinstance(values, list | tuple) else [values]
    return [Observation(v) for v in items]


def play(
    rule: Rule,
    ticks: Iterable[Values],
    state: SeriesState | None = None,
    start: datetime = T0,
    step: timedelta = timedelta(minutes=1),
) -> list[Decision]:
    """Evaluate one tick per value, carrying the state forward as the store would."""
    decisions = []
    for i, values in enumerate(ticks):
        decision = evaluate_series(rule, observations(values), state, start + i * step)
        state = decision.state
        decisions.append(decision)
    return decisions


def events(decisions: Sequence[Decision]) -> str:
    """A compact timeline: F fired, R resolved, S suppressed, N no-data fired, - nothing."""
    out = []
    for d in decisions:
        mark = ""
        mark += "".join("N" if c.kind == "nodata" else "F" for c in d.fire)
        mark += "".join("R" for _ in d.resolve)
        mark += "S" if d.suppressed and not d.fire else ""
        out.append(mark or "-")
    return "".join(out)
