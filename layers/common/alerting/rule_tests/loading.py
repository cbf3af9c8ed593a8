"""Loading a rule test file: its tests with their rules, or every problem that keeps them from running."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from alerting.models.rules import Rule, RuleSpec
from alerting.rule_files import template_problems
from alerting.rule_tests.file_format import Expectation, Located, Problem, TestSpec, field_path
from alerting.rule_tests.notation import NotationError, expand
from alerting.validation import field_errors


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
        return None, problems + [
            where.problem(field_path(f), f"{prefix}{f}: {m}") for f, m in field_errors(exc.errors())
        ]
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
            problems.append(where.problem(field_path(f), f"{prefix}{f}: {m}"))
        return None
    rule_id = spec.rule_id or re.sub(r"[^a-z0-9-]+", "-", f"{path.stem}-{index + 1}".lower()).strip("-")
    rule = Rule.from_spec(spec, rule_id=rule_id[:64])
    for f, m in template_problems(rule):
        problems.append(where.problem(["rule", *field_path(f)], f"{prefix}rule.{f}: {m}"))
    return None if problems else rule
