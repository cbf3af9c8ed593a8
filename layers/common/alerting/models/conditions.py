"""Conditions: a threshold over one metric's window statistic, or over metric math of several;
what a rule is made of (`alerting.models.rules`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import AfterValidator, Field, field_validator, model_validator

from alerting.expressions import ExpressionError, names, parse
from alerting.models.common import Model

SIMPLE_STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum", "IQM")
_NUMBER = r"\d+(?:\.\d{1,10})?"  # CloudWatch takes up to ten decimal places
_SHORT = re.compile(rf"^(p|tm|wm|tc|ts)({_NUMBER})$")  # p99.9, tm90: a percentage (0-100)
_RANGED = re.compile(rf"^(TM|WM|TC|TS|PR)\(({_NUMBER}%?)?:({_NUMBER}%?)?\)$")  # TM(10%:90%), PR(:300)


def check_statistic(value: str) -> str:
    """A statistic as CloudWatch writes it (Statistics-definitions): the simple five and IQM;
    `p`, `tm`, `wm`, `tc`, `ts` with a percentage 0-100; `TM`, `WM`, `TC`, `TS` with a range of
    percentages or values, `PR` with a range of values. Anything else would fail every query."""
    if value in SIMPLE_STATISTICS:
        return value
    short = _SHORT.match(value)
    if short:
        if float(short.group(2)) > 100:
            raise ValueError(f"{short.group(1)}{short.group(2)}: the percentage must be within 0-100")
        return value
    ranged = _RANGED.match(value)
    if not ranged:
        raise ValueError(
            "not a CloudWatch statistic: use SampleCount, Average, Sum, Minimum, Maximum, IQM, "
            "pNN[.NN], tmNN, wmNN, tcNN, tsNN, or TM/WM/TC/TS/PR(low:high), e.g. TM(10%:90%), PR(:300)"
        )
    kind, low, high = ranged.groups()
    bounds = [b for b in (low, high) if b]
    if not bounds:
        raise ValueError(f"{kind}(:) needs at least one bound")
    percents = [b.endswith("%") for b in bounds]
    if kind == "PR" and any(percents):
        raise ValueError("PR takes values, not percentages, e.g. PR(:300) or PR(100:2000)")
    if kind == "WM" and not all(percents):
        raise ValueError("WM takes percentages, e.g. WM(10%:90%)")
    if len(bounds) == 2 and percents[0] != percents[1]:
        raise ValueError(f"{value}: both bounds are percentages or both are values")
    numbers = [float(b.rstrip("%")) for b in bounds]
    if any(p and n > 100 for p, n in zip(percents, numbers, strict=True)):
        raise ValueError(f"{value}: a percentage must be within 0-100")
    if len(numbers) == 2 and numbers[0] >= numbers[1]:
        raise ValueError(f"{value}: the lower bound must be below the upper one")
    return value


def _storable(value: float) -> float:
    """DynamoDB holds 0 or 1e-130 ≤ |x| < 1e126; a float reaches far beyond either end."""
    if value != 0 and not 1e-130 <= abs(value) < 1e126:
        raise ValueError("must be 0 or between 1e-130 and 1e126 in magnitude")
    return value


Number = Annotated[float, Field(strict=True, allow_inf_nan=False), AfterValidator(_storable)]
# DynamoDB refuses empty map keys at any depth, and CloudWatch bounds dimension names and values.
DimensionName = Annotated[str, Field(min_length=1, max_length=255)]
DimensionValue = Annotated[str, Field(min_length=1, max_length=1024)]
WILDCARD = "*"  # a dimension value meaning "every series with this dimension"

# Cross-field errors name every field involved (relative to where the validator runs):
# `alerting.models.rules.CROSS_FIELD_ERRORS`.
TOLERANCE_ONLY_EQ = "tolerance applies only to the eq and ne operators"
HYSTERESIS_EQ = "resolve_threshold applies only to gt, gte, lt and lte"
HYSTERESIS_UPPER = "resolve_threshold must be at or below threshold for gt/gte (the recovery side)"
HYSTERESIS_LOWER = "resolve_threshold must be at or above threshold for lt/lte (the recovery side)"
ONE_MEASURE = "give either metric, or expression with metrics"
WARNING_EQ = "warning_threshold applies only to gt, gte, lt and lte"
WARNING_SIDE = (
    "warning_threshold must be on the non-breaching side of threshold (below it for gt/gte, above for lt/lte)"
)
WILDCARDS_DIFFER = "every condition with a wildcard dimension must use the same wildcard dimensions (they join on them)"


class Operator(StrEnum):
    gt = "gt"
    gte = "gte"
    lt = "lt"
    lte = "lte"
    eq = "eq"
    ne = "ne"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]


_SYMBOLS = {
    Operator.gt: ">",
    Operator.gte: "≥",
    Operator.lt: "<",
    Operator.lte: "≤",
    Operator.eq: "=",
    Operator.ne: "≠",
}


class MetricSpec(Model):
    namespace: Annotated[str, Field(min_length=1, max_length=255)]
    name: Annotated[str, Field(min_length=1, max_length=255)]
    dimensions: Annotated[dict[DimensionName, DimensionValue], Field(max_length=30)] = {}
    statistic: Annotated[
        str,
        Field(
            max_length=64,
            description="SampleCount, Average, Sum, Minimum, Maximum, IQM, pNN.NN, tm/wm/tc/tsNN, "
            "TM/WM/TC/TS/PR(low:high) as CloudWatch writes them",
        ),
        AfterValidator(check_statistic),
    ] = "Average"

    def label(self) -> str:
        dims = ",".join(f"{k}={v}" for k, v in sorted(self.dimensions.items()))
        return f"{self.namespace} {self.name}{{{dims}}} {self.statistic}"

    @property
    def wildcards(self) -> tuple[str, ...]:
        return tuple(sorted(k for k, v in self.dimensions.items() if v == WILDCARD))

    def bound(self, series: Mapping[str, str]) -> MetricSpec:
        """This metric for one series: each wildcard replaced by the series' value."""
        if not self.wildcards:
            return self
        return self.model_copy(
            update={"dimensions": {k: series.get(k, v) if v == WILDCARD else v for k, v in self.dimensions.items()}}
        )


MetricId = Annotated[str, Field(pattern=r"^[a-z][A-Za-z0-9_]{0,63}$", description="an id the expression uses")]


class Condition(Model):
    """A threshold over one metric's window statistic, or over metric math of several
    (`expression` + `metrics`, e.g. `100 * errors / requests`)."""

    metric: MetricSpec | None = None
    metrics: Annotated[dict[MetricId, MetricSpec], Field(max_length=10)] = {}
    expression: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    operator: Operator
    threshold: Number
    tolerance: Annotated[float, Field(ge=0, strict=True, allow_inf_nan=False), AfterValidator(_storable)] = 0.0
    resolve_threshold: Number | None = None
    # A second, lower level: breaching it (and not `threshold`) is the rule's warning severity.
    warning_threshold: Number | None = None

    @field_validator("expression")
    @classmethod
    def _parses(cls, value: str | None, info: Any) -> str | None:
        if value is None:
            return value
        try:
            used = names(parse(value))
        except ExpressionError as exc:
            raise ValueError(f"not valid metric math: {exc}") from None
        unknown = sorted(used - set(info.data.get("metrics") or {}))
        if unknown:
            raise ValueError(f"{', '.join(unknown)} not among the condition's metrics")
        return value

    @model_validator(mode="after")
    def _check_measure(self) -> Self:
        if (self.metric is None) == (self.expression is None) or (self.expression is None) != (not self.metrics):
            raise ValueError(ONE_MEASURE)
        if len({m.wildcards for m in self.inputs.values()} - {()}) > 1:
            raise ValueError(WILDCARDS_DIFFER)
        return self

    @property
    def inputs(self) -> dict[str, MetricSpec]:
        """The metrics this condition reads, by id (a plain condition's one metric is `value`)."""
        return {"value": self.metric} if self.metric is not None else dict(self.metrics)

    @property
    def wildcards(self) -> tuple[str, ...]:
        return next((m.wildcards for m in self.inputs.values() if m.wildcards), ())

    def label(self) -> str:
        return self.metric.label() if self.metric is not None else str(self.expression)

    @property
    def statistic(self) -> str:
        return self.metric.statistic if self.metric is not None else "expression"

    def at_warning(self) -> Condition:
        """This condition at the warning level (itself when it has none)."""
        if self.warning_threshold is None:
            return self
        return self.model_copy(update={"threshold": self.warning_threshold, "resolve_threshold": None})

    @model_validator(mode="after")
    def _check_warning(self) -> Self:
        if self.warning_threshold is None:
            return self
        if self.operator in (Operator.eq, Operator.ne):
            raise ValueError(WARNING_EQ)
        upward = self.operator in (Operator.gt, Operator.gte)
        if (self.warning_threshold >= self.threshold) if upward else (self.warning_threshold <= self.threshold):
            raise ValueError(WARNING_SIDE)
        return self

    @model_validator(mode="after")
    def _check_hysteresis(self) -> Self:
        if self.tolerance and self.operator not in (Operator.eq, Operator.ne):
            raise ValueError(TOLERANCE_ONLY_EQ)
        if self.resolve_threshold is None:
            return self
        if self.operator in (Operator.eq, Operator.ne):
            raise ValueError(HYSTERESIS_EQ)
        if self.operator in (Operator.gt, Operator.gte) and self.resolve_threshold > self.threshold:
            raise ValueError(HYSTERESIS_UPPER)
        if self.operator in (Operator.lt, Operator.lte) and self.resolve_threshold < self.threshold:
            raise ValueError(HYSTERESIS_LOWER)
        return self

    def describe(self) -> str:
        measure = f"{self.metric.name} {self.metric.statistic}" if self.metric is not None else self.expression
        return f"{measure} {self.operator.symbol} {self.threshold:g}"
