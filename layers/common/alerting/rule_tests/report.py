"""What a rule test found at each `at`: the alerts expected (-) and got (+), with what the series'
conditions observed on that tick, and the summary `alerting-rules test` prints."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import yaml

from alerting.evaluation import Observation
from alerting.models.alerts import Alert, AlertKind
from alerting.models.common import iso
from alerting.models.rules import Rule
from alerting.models.silences import alert_labels
from alerting.rule_tests.file_format import Expectation, Problem
from alerting.rule_tests.loading import RuleTest
from alerting.ticks import RuleReplay


@dataclass(frozen=True)
class Check:
    """One `at` of one test: what was expected, what the replay gave, and the diff lines."""

    test: RuleTest
    at: timedelta
    line: int
    diff: list[str]

    @property
    def ok(self) -> bool:
        return not self.diff


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    @property
    def ok(self) -> bool:
        return not self.problems and not self.failed and bool(self.checks)

    def render(self) -> str:
        lines = [str(p) for p in self.problems]
        for check in self.failed:
            tick = check.test.start + check.at
            lines.append(
                f"FAIL {check.test.file}:{check.line}: {check.test.name}, at {_minutes(check.at)} ({iso(tick)})"
            )
            lines += [f"  {line}" for line in check.diff]
        tests = len({(c.test.file, c.test.name) for c in self.checks})
        lines.append(
            f"{tests} test(s), {len(self.checks)} check(s): {len(self.failed)} failed"
            + (f", {len(self.problems)} problem(s)" if self.problems else "")
        )
        return "\n".join(lines)


def diff(rule: Rule, expectation: Expectation, got: list[Alert], replay: RuleReplay, tick: datetime) -> list[str]:
    by_identity = {(_key(a.series), a.kind): a for a in got}
    lines: list[str] = []
    matched: set[tuple[str, AlertKind]] = set()
    for expected in expectation.alerts:
        series = expected.series if expected.series is not None else rule.series
        identity = (_key(series), expected.kind)
        alert = by_identity.get(identity)
        wanted = {"series": series, **expected.model_dump(exclude={"series"}, exclude_none=True, mode="json")}
        if alert is None:
            lines.append(f"- {_show(wanted)}   (expected, missing)")
            continue
        matched.add(identity)
        seen = _view(alert, wanted)
        if seen != wanted:
            lines += [f"- {_show(wanted)}   (expected)", f"+ {_show(seen)}   (got)"]
    for identity, alert in sorted(by_identity.items()):
        if identity not in matched:
            shown = _view(alert, {"series": 1, "kind": 1, "status": 1, "severity": 1, "event": 1})
            lines.append(f"+ {_show(shown)}   (got, not expected)")
    if lines:
        lines += _observed(rule, replay, tick)
    return lines


def _view(alert: Alert, keys: Mapping[str, Any]) -> dict[str, Any]:
    """The alert as the expectation spells it: only the keys it gives (labels and annotations
    only those it names)."""
    full: dict[str, Any] = {
        "series": alert.series,
        "kind": alert.kind.value,
        "status": alert.status.value,
        "severity": alert.severity.value,
        "event": alert.last_transition.event.value,
    }
    if "labels" in keys:
        labels = alert_labels(alert)
        full["labels"] = {k: labels[k] for k in keys["labels"] if k in labels}
    if "annotations" in keys:
        full["annotations"] = {k: alert.annotations[k] for k in keys["annotations"] if k in alert.annotations}
    return {k: full[k] for k in keys if k in full}


def _observed(rule: Rule, replay: RuleReplay, tick: datetime) -> list[str]:
    """What each series' conditions saw on this tick (the window that ends `delay` before it)."""
    end = tick - timedelta(seconds=rule.evaluation_delay_seconds)
    window = f"{end - timedelta(seconds=rule.window_seconds):%H:%M}-{end:%H:%M}"
    lines = []
    for _, (series, observations) in sorted(replay.observed.items()):
        values = "; ".join(f"{c.describe()}: {_value(o)}" for c, o in zip(rule.conditions, observations, strict=True))
        lines.append(f"  observed {_show(series)} over {window}: {values}")
    return lines


def _value(observation: Observation) -> str:
    if observation.error:
        return f"error ({observation.error})"
    return "no data" if observation.value is None else f"{observation.value:g}"


def _key(series: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(series.items()))


def _show(value: Any) -> str:
    """Flow-style YAML on one line, as a test file would spell it."""
    return str(yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000)).strip()


def _minutes(at: timedelta) -> str:
    return f"{int(at.total_seconds() // 60)}m"
