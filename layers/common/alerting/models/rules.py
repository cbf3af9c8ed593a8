"""Rules and conditions: what users write (API JSON or rules-as-code YAML)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import Annotated, Any, Self

from pydantic import AfterValidator, Field, field_validator, model_validator

from alerting.expressions import ExpressionError, names, parse
from alerting.models.common import (
    Category,
    Model,
    ResourceId,
    Severity,
    UtcDatetime,
    digest,
)

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
Key = Annotated[str, Field(min_length=1, max_length=128)]
DimensionName = Annotated[str, Field(min_length=1, max_length=255)]
DimensionValue = Annotated[str, Field(min_length=1, max_length=1024)]


# Cross-field errors name every field involved (relative to where the validator runs).
M_OVER_N = "breaches_to_fire must not exceed out_of"
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
WILDCARD = "*"  # a dimension value meaning "every series with this dimension"
CROSS_FIELD_ERRORS: dict[str, tuple[str, ...]] = {
    M_OVER_N: ("breaches_to_fire", "out_of"),
    TOLERANCE_ONLY_EQ: ("tolerance", "operator"),
    HYSTERESIS_EQ: ("resolve_threshold", "operator"),
    HYSTERESIS_UPPER: ("resolve_threshold", "threshold"),
    HYSTERESIS_LOWER: ("resolve_threshold", "threshold"),
    WILDCARDS_DIFFER: ("conditions",),
    ONE_MEASURE: ("metric", "expression"),
    WARNING_EQ: ("warning_threshold", "operator"),
    WARNING_SIDE: ("warning_threshold", "threshold"),
}


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


class Match(StrEnum):
    all = "all"
    any = "any"


class MissingData(StrEnum):
    ignore = "ignore"
    breaching = "breaching"
    not_breaching = "not_breaching"
    alert = "alert"


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


class OnError(StrEnum):
    keep = "keep"  # a failed query is not counted, the state is kept, /health shows it
    alert = "alert"  # after M consecutive failed evaluations an `error` alert fires


class FlappingPolicy(Model):
    """A series that starts its `max_starts`-th alert within `within_seconds` is flapping: that
    start is announced as `flapping`, then its cycles are recorded but not notified until it has
    stayed in one state for `within_seconds`; then one announcement of where it settled."""

    max_starts: Annotated[int, Field(ge=2, le=100, strict=True)] = 4
    within_seconds: Annotated[int, Field(ge=300, le=86_400, strict=True)] = 3600


class RuleSpec(Model):
    """A rule as a user writes it. `Rule` adds what the server keeps (version, timestamps)."""

    rule_id: ResourceId | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=2000)] = ""
    severity: Severity = Severity.medium  # the critical level's
    warning_severity: Severity = Severity.low  # while only a condition's warning_threshold is breached
    category: Category = Category.custom
    enabled: bool = True
    conditions: Annotated[list[Condition], Field(min_length=1, max_length=10)]
    match: Match = Match.all
    window_seconds: Annotated[int, Field(ge=60, le=86_400, strict=True)] = 300
    evaluation_delay_seconds: Annotated[int, Field(ge=0, le=3_600, strict=True)] = 60
    evaluation_interval_seconds: Annotated[int, Field(ge=60, le=86_400, strict=True)] = 60
    breaches_to_fire: Annotated[int, Field(ge=1, le=100, strict=True)] = 1
    out_of: Annotated[int, Field(ge=1, le=100, strict=True)] | None = None
    resolve_after: Annotated[int, Field(ge=1, le=100, strict=True)] = 1
    auto_resolve: bool = True
    treat_missing_data: MissingData = MissingData.ignore
    cooldown_seconds: Annotated[int, Field(ge=0, le=604_800, strict=True)] = 0
    max_alerts_per_hour: Annotated[int, Field(ge=1, le=10_000, strict=True)] | None = None
    labels: Annotated[dict[Key, Annotated[str, Field(max_length=500)]], Field(max_length=50)] = {}
    # 20 templates of ≤ 4,000 characters keep a rule (and each alert) far below DynamoDB's 400 KB.
    annotations: Annotated[dict[Key, Annotated[str, Field(max_length=4000)]], Field(max_length=20)] = {}
    channels: Annotated[list[ResourceId], Field(max_length=20)] = []
    escalation_policy_id: ResourceId | None = None
    # A firing, unacknowledged alert is announced again (`repeat`) to the rule's channels.
    repeat_interval_seconds: Annotated[int, Field(ge=300, le=604_800, strict=True)] | None = None
    flapping: FlappingPolicy | None = None  # off by default
    on_error: OnError = OnError.keep
    # Fleet rules (a dimension value "*"): how long a series may go without data before it is
    # retired, and how many series one rule evaluates (the rest are counted, not evaluated).
    series_ttl_seconds: Annotated[int, Field(ge=300, le=604_800, strict=True)] = 3600
    max_series: Annotated[int, Field(ge=1, le=10_000, strict=True)] = 500

    @field_validator("window_seconds", "evaluation_delay_seconds", "evaluation_interval_seconds")
    @classmethod
    def _whole_minutes(cls, value: int) -> int:
        if value % 60:
            raise ValueError("must be a multiple of 60")
        return value

    @model_validator(mode="after")
    def _check_m_of_n(self) -> Self:
        if self.out_of is None:
            self.out_of = self.breaches_to_fire
        if self.breaches_to_fire > self.out_of:
            raise ValueError(M_OVER_N)
        if len({c.wildcards for c in self.conditions} - {()}) > 1:
            raise ValueError(WILDCARDS_DIFFER)
        return self

    @cached_property
    def has_warning(self) -> bool:
        return any(c.warning_threshold is not None for c in self.conditions)

    @cached_property
    def wildcards(self) -> tuple[str, ...]:
        """The dimensions a fleet rule fans out over (empty: the rule watches one series)."""
        return next((c.wildcards for c in self.conditions if c.wildcards), ())

    def series_of(self, binding: Mapping[str, str] | None = None) -> dict[str, str]:
        """One series' dimensions: the rule's fixed ones and the binding of its wildcards."""
        return {**self.series, **(binding or {})}

    def fingerprint_of(self, series: Mapping[str, str]) -> str:
        return _fingerprint(self.rule_id, tuple(sorted(series.items())))

    def owns(self, series: Mapping[str, str]) -> bool:
        """Whether a stored series still belongs to this rule as it is defined now."""
        fixed = {k: v for k, v in series.items() if k not in self.wildcards}
        return fixed == self.series and set(series) == set(self.series) | set(self.wildcards)

    @property
    def n(self) -> int:
        """N of "M of N" (out_of, defaulted to M)."""
        return self.out_of or self.breaches_to_fire

    @cached_property
    def definition_hash(self) -> str:
        """Changes when what is measured changes; a new hash clears the series' history."""
        return digest(
            {
                # defaults left out: a field added later leaves existing histories alone
                "conditions": [c.model_dump(mode="json", exclude_defaults=True) for c in self.conditions],
                "match": self.match,
                "window": self.window_seconds,
            },
            12,
        )

    @cached_property
    def series(self) -> dict[str, str]:
        """The fixed dimensions of the rule's series (first condition's values win; wildcards
        are left to each series of a fleet rule)."""
        merged: dict[str, str] = {}
        for condition in self.conditions:
            for metric in condition.inputs.values():
                for key, value in metric.dimensions.items():
                    if value != WILDCARD:
                        merged.setdefault(key, value)
        return merged

    @cached_property
    def fingerprint(self) -> str:
        """The fingerprint of a single-series rule's series."""
        return self.fingerprint_of(self.series)


@lru_cache(maxsize=65_536)
def _fingerprint(rule_id: str | None, series: tuple[tuple[str, str], ...]) -> str:
    """A series' fingerprint: asked for every series on every tick (and every minute of a backtest)."""
    return digest({"rule_id": rule_id, "series": dict(series)})


class Rule(RuleSpec):
    """A stored rule: `rule_id` is set, `version` counts updates (optimistic concurrency)."""

    rule_id: ResourceId
    version: int = 1
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None

    @classmethod
    def from_spec(cls, spec: RuleSpec, **server_fields: Any) -> Rule:
        data = spec.model_dump(exclude={"rule_id"}) | server_fields
        return cls.model_validate(data)
