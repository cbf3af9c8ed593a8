"""Rule tests, as `promtool test rules`: a rule, datapoints in a compact notation, and the alerts
expected at given ticks. `alerting-rules test` (`make rules-test`) runs them.

    rule: high-cpu-usage            # an id from the rules folder, or a whole rule (validated as POST /rules)
    start: "2026-01-05T00:00:00Z"   # the first datapoint's minute [that Monday]
    series:
      - metric: {namespace: App/Service, name: CPUUtilization, dimensions: {Service: web}}
        values: "50 60 90x5 _ 40"   # one datapoint a minute (`interval`), read as promtool reads it
    expect:
      - at: 10m                     # the tick 10 minutes after start
        alerts: [{series: {Service: web}, status: firing, severity: high}]

A file holds one test, or several under `tests:`. The notation: a number is one datapoint; `_` is
none; `a+bxn` is a, a+b, ... a+n·b (n+1 datapoints), `a-bxn` likewise down, `axn` is a n+1 times;
`_xn` is n missing datapoints. Datapoints are raw samples at `start + i·interval`; the rule's
statistic, window, delay and every other setting apply to them as in production: the series
are replayed minute by minute through the evaluator's own steps (`alerting.ticks`), over the
CloudWatch adapter reading a stand-in that holds the datapoints (`alerting.recorded`).

At each `at` the alerts are the open ones after that tick, and those that resolved on it. An
expected alert names its `series` (a single-series rule's by default), `kind` [threshold],
`status` [firing], and optionally `severity`, `event` (its latest transition), `labels` and
`annotations` (those given must match). A mismatch prints expected (-) and got (+) with the
observed values; any mismatch or malformed file exits 1, naming file, line and column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import Field, ValidationError, field_validator

from alerting.discovery import MetricDirectory
from alerting.evaluation import Observation
from alerting.models.alerts import Alert, AlertKind
from alerting.models.common import AlertEvent, AlertStatus, Model, Severity, UtcDatetime, iso
from alerting.models.conditions import DimensionName, DimensionValue
from alerting.models.rules import Rule, RuleSpec
from alerting.models.silences import alert_labels
from alerting.recorded import RecordedCloudWatch
from alerting.repositories.cloudwatch import CloudWatchListing, CloudWatchMetrics
from alerting.rule_files import template_problems
from alerting.ticks import FetchingObserver, RuleReplay
from alerting.validation import field_errors

DEFAULT_START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday, midnight UTC
_UNSIGNED = r"(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TERM = re.compile(rf"^(?P<start>[-+]?{_UNSIGNED})(?:(?P<sign>[-+])(?P<step>{_UNSIGNED}))?(?:x(?P<times>\w*))?$")
_DURATION = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


class NotationError(ValueError):
    """A malformed `values` string; ``offset`` is where in it."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


def expand(values: str) -> list[float | None]:
    """promtool's expanding notation → one value (or None for `_`) per datapoint."""
    out: list[float | None] = []
    for match in re.finditer(r"\S+", values):
        out += _term(match.group(), match.start())
    return out


def _term(token: str, offset: int) -> list[float | None]:
    if token == "stale":
        raise NotationError("CloudWatch has no staleness marker: write _ for a missing datapoint", offset)
    if token == "_" or token.startswith("_x"):
        count = _count(token[2:], offset + 2) if token != "_" else 1
        return [None] * count
    term = _TERM.match(token)
    if term is None:
        raise NotationError(f"{token!r} is not a number, _, a+bxn, a-bxn or axn", offset)
    start = float(term.group("start"))
    step = float(term.group("step") or 0) * (-1 if term.group("sign") == "-" else 1)
    if not math.isfinite(start) or not math.isfinite(step):
        raise NotationError(f"{token!r}: CloudWatch takes finite numbers only", offset)
    if term.group("times") is None:
        if term.group("step") is not None:
            raise NotationError(f"{token!r}: a step needs a count, e.g. {token}x4", offset)
        return [start]
    times = _count(term.group("times"), offset + term.start("times"))
    return [start + i * step for i in range(times + 1)]


def _count(text: str, offset: int) -> int:
    if not text.isdigit():
        raise NotationError(f"x must be followed by a whole number of repeats, not {text!r}", offset)
    return int(text)


def parse_duration(value: object) -> timedelta:
    """`10m`, `1h30m`, `90s`, `2d`, `1w`: what promtool's durations look like."""
    match = _DURATION.match(value) if isinstance(value, str) and value else None
    if match is None or not any(match.groups()):
        raise ValueError("a duration such as 10m, 1h30m or 90s")
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


# -- the file's shape ---------------------------------------------------------------------------


class SeriesMetric(Model):
    namespace: Annotated[str, Field(min_length=1, max_length=255)]
    name: Annotated[str, Field(min_length=1, max_length=255)]
    dimensions: dict[DimensionName, DimensionValue] = {}


class SeriesSpec(Model):
    metric: SeriesMetric
    values: str

    @field_validator("values", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


class ExpectedAlert(Model):
    series: dict[str, str] | None = None
    kind: AlertKind = AlertKind.threshold
    status: AlertStatus = AlertStatus.firing
    severity: Severity | None = None
    event: AlertEvent | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None


class Expectation(Model):
    at: timedelta
    alerts: list[ExpectedAlert] = []

    @field_validator("at", mode="before")
    @classmethod
    def _duration(cls, value: object) -> timedelta:
        at = parse_duration(value)
        if at.total_seconds() % 60:
            raise ValueError("ticks fall on whole minutes: use a whole number of minutes")
        return at


class TestSpec(Model):
    name: Annotated[str, Field(max_length=200)] = ""
    rule: str | dict[str, Any]
    start: UtcDatetime = DEFAULT_START
    interval: timedelta = timedelta(minutes=1)
    series: Annotated[list[SeriesSpec], Field(min_length=1, max_length=1000)]
    expect: Annotated[list[Expectation], Field(min_length=1, max_length=1000)]

    @field_validator("interval", mode="before")
    @classmethod
    def _interval(cls, value: object) -> timedelta:
        interval = parse_duration(value)
        if interval < timedelta(seconds=1):
            raise ValueError("at least 1s")
        return interval


# -- where things are in the file -----------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class Located:
    """A YAML document's node tree: the line and column (1-based) of any path into it."""

    def __init__(self, file: str, node: yaml.Node | None) -> None:
        self.file, self.node = file, node

    def node_at(self, path: Sequence[str | int]) -> yaml.Node | None:
        """The deepest node along ``path`` (where a missing key would go)."""
        node = self.node
        for part in path:
            child = _child(node, part)
            if child is None:
                break
            node = child
        return node

    def problem(self, path: Sequence[str | int], message: str, offset: int | None = None) -> Problem:
        node = self.node_at(path)
        if node is None:
            return Problem(self.file, 1, 1, message)
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        if offset is not None and isinstance(node, yaml.ScalarNode) and "\n" not in str(node.value):
            column += offset + (1 if node.style in ("'", '"') else 0)
        return Problem(self.file, line, column, message)

    def line(self, path: Sequence[str | int]) -> int:
        return self.problem(path, "").line

    def sub(self, path: Sequence[str | int]) -> Located:
        return Located(self.file, self.node_at(path))


def _child(node: yaml.Node | None, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if getattr(k, "value", None) == str(part)), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        child: yaml.Node = node.value[part]
        return child
    return None


def _path(field_name: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in field_name.split(".")]


# -- loading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    namespace: str
    name: str
    dimensions: dict[str, str]
    values: list[float | None]


@dataclass(frozen=True)
class RuleTest:
    file: str
    name: str
    line: int
    rule: Rule
    start: datetime
    interval: timedelta
    series: list[Series]
    expect: list[tuple[Expectation, int]]  # with its line


def load(path: Path, catalogue: Mapping[str, Rule]) -> tuple[list[RuleTest], list[Problem]]:
    """The tests of one file, or every problem that keeps them from running."""
    text = path.read_text()
    try:
        data, node = yaml.safe_load(text), yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return [], [Problem(str(path), line, column, f"not valid YAML: {getattr(exc, 'problem', exc)}")]
    where = Located(str(path), node)
    if isinstance(data, dict) and "tests" in data:
        if set(data) != {"tests"} or not isinstance(data["tests"], list) or not data["tests"]:
            return [], [where.problem(["tests"], "tests: a non-empty list of tests, and nothing beside it")]
        entries = [(item, where.sub(["tests", i]), f"tests.{i}.") for i, item in enumerate(data["tests"])]
    else:
        entries = [(data, where, "")]
    tests: list[RuleTest] = []
    problems: list[Problem] = []
    for index, (entry, located, prefix) in enumerate(entries):
        test, found = _load_one(path, entry, located, prefix, catalogue, index)
        problems += found
        if test is not None:
            tests.append(test)
    return tests, problems


def _load_one(
    path: Path, entry: object, where: Located, prefix: str, catalogue: Mapping[str, Rule], index: int
) -> tuple[RuleTest | None, list[Problem]]:
    """One test, or its problems: the file's shape, the notation and the rule, all reported at once."""
    values, problems = _notation(entry, where, prefix)
    try:
        spec = TestSpec.model_validate(entry)
    except ValidationError as exc:
        return None, problems + [where.problem(_path(f), f"{prefix}{f}: {m}") for f, m in field_errors(exc.errors())]
    rule = _rule(spec.rule, path, index, where, prefix, catalogue, problems)
    if rule is not None:
        for i, expectation in enumerate(spec.expect):
            for j, alert in enumerate(expectation.alerts):
                if alert.series is None and rule.wildcards:
                    message = f"{prefix}expect.{i}.alerts.{j}.series: a fleet rule's alert names its series"
                    problems.append(where.problem(["expect", i, "alerts", j], message))
    if problems or rule is None:
        return None, problems
    return (
        RuleTest(
            file=str(path),
            name=spec.name or f"{rule.rule_id} #{index + 1}",
            line=where.line([]),
            rule=rule,
            start=spec.start,
            interval=spec.interval,
            series=[
                Series(item.metric.namespace, item.metric.name, item.metric.dimensions, values[i])
                for i, item in enumerate(spec.series)
            ],
            expect=[(e, where.line(["expect", i])) for i, e in enumerate(spec.expect)],
        ),
        [],
    )


def _notation(entry: object, where: Located, prefix: str) -> tuple[dict[int, list[float | None]], list[Problem]]:
    """Each series' `values` expanded, or where the notation breaks (file, line and column)."""
    raw = entry.get("series") if isinstance(entry, dict) else None
    expanded: dict[int, list[float | None]] = {}
    problems: list[Problem] = []
    for i, item in enumerate(raw if isinstance(raw, list) else []):
        text = item.get("values") if isinstance(item, dict) else None
        if isinstance(text, int | float) and not isinstance(text, bool):
            text = str(text)
        if not isinstance(text, str):
            continue  # the shape's validation names it
        try:
            expanded[i] = expand(text)
        except NotationError as exc:
            problems.append(where.problem(["series", i, "values"], f"{prefix}series.{i}.values: {exc}", exc.offset))
    return expanded, problems


def _rule(
    given: str | dict[str, Any],
    path: Path,
    index: int,
    where: Located,
    prefix: str,
    catalogue: Mapping[str, Rule],
    problems: list[Problem],
) -> Rule | None:
    """The rule under test: from the catalogue by id, or given whole and validated as POST /rules
    validates it (the same field errors, its templates test-rendered)."""
    if isinstance(given, str):
        if given not in catalogue:
            known = ", ".join(sorted(catalogue)) or "none"
            problems.append(where.problem(["rule"], f"{prefix}rule: no rule {given!r} (known: {known})"))
            return None
        return catalogue[given]
    try:
        spec = RuleSpec.model_validate(given)
    except ValidationError as exc:
        for f, m in field_errors(exc.errors(), "rule."):
            problems.append(where.problem(_path(f), f"{prefix}{f}: {m}"))
        return None
    rule_id = spec.rule_id or re.sub(r"[^a-z0-9-]+", "-", f"{path.stem}-{index + 1}".lower()).strip("-")
    rule = Rule.from_spec(spec, rule_id=rule_id[:64])
    for f, m in template_problems(rule):
        problems.append(where.problem(["rule", *_path(f)], f"{prefix}rule.{f}: {m}"))
    return None if problems else rule


# -- running ------------------------------------------------------------------------------------


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


def run_files(paths: Sequence[Path], catalogue: Mapping[str, Rule]) -> Report:
    report = Report()
    if not paths:
        report.problems.append(Problem("-", 1, 1, "no rule test files given"))
    for path in paths:
        tests, problems = load(path, catalogue)
        report.problems += problems
        for test in tests:
            report.checks += run(test)
    return report


def run(test: RuleTest) -> list[Check]:
    """Replay the test's datapoints minute by minute to its last `at`, checking each `at`."""
    recorded = RecordedCloudWatch()
    for series in test.series:
        for i, value in enumerate(series.values):
            if value is not None:
                recorded.put(series.namespace, series.name, series.dimensions, test.start + i * test.interval, value)
    replay = RuleReplay(
        test.rule,
        FetchingObserver(CloudWatchMetrics(recorded)),
        directory=MetricDirectory(CloudWatchListing(recorded)),
        clock=lambda tick: setattr(recorded, "now", tick),
    )
    wanted = {test.start + expectation.at: (expectation, line) for expectation, line in test.expect}
    checks: list[Check] = []
    tick = test.start
    while tick <= max(wanted):
        replay.tick(tick)
        if tick in wanted:
            expectation, line = wanted[tick]
            got = [a for a in replay.alerts.values() if a.is_open or a.last_transition.at == tick]
            checks.append(Check(test, expectation.at, line, _diff(test.rule, expectation, got, replay, tick)))
        tick += timedelta(minutes=1)
    return checks


def _diff(rule: Rule, expectation: Expectation, got: list[Alert], replay: RuleReplay, tick: datetime) -> list[str]:
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
