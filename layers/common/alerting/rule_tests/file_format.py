"""A rule test file's shape, and where in the file a problem is (file, line and column)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import yaml
from pydantic import Field, field_validator

from alerting.models.alerts import AlertKind
from alerting.models.common import AlertEvent, AlertStatus, Model, Severity, UtcDatetime
from alerting.models.conditions import DimensionName, DimensionValue
from alerting.rule_tests.notation import parse_duration

DEFAULT_START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday, midnight UTC


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


def field_path(field_name: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in field_name.split(".")]
