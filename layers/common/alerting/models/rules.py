"""Rules: what users write (API JSON or rules-as-code YAML), made of conditions
(`alerting.models.conditions`)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import Annotated, Any, Self

from pydantic import Field, field_validator, model_validator

from alerting.models.common import (
    Category,
    Model,
    ResourceId,
    Severity,
    UtcDatetime,
    digest,
)
from alerting.models.conditions import (
    HYSTERESIS_EQ,
    HYSTERESIS_LOWER,
    HYSTERESIS_UPPER,
    ONE_MEASURE,
    TOLERANCE_ONLY_EQ,
    WARNING_EQ,
    WARNING_SIDE,
    WILDCARD,
    WILDCARDS_DIFFER,
    Condition,
)

M_OVER_N = "breaches_to_fire must not exceed out_of"
# Cross-field errors name every field involved (relative to where the validator runs).
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


class Match(StrEnum):
    all = "all"
    any = "any"


class OnError(StrEnum):
    keep = "keep"  # a failed query is not counted, the state is kept, /health shows it
    alert = "alert"  # after M consecutive failed evaluations an `error` alert fires


class MissingData(StrEnum):
    ignore = "ignore"
    breaching = "breaching"
    not_breaching = "not_breaching"
    alert = "alert"


# DynamoDB refuses empty map keys at any depth.
Key = Annotated[str, Field(min_length=1, max_length=128)]


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
