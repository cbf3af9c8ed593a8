"""Silences and escalation policies (configuration; their behaviour arrives with the lifecycle work)."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator

from alerting.models.common import Model, ResourceId, UtcDatetime


class Matcher(Model):
    label: Annotated[str, Field(min_length=1, max_length=100)]
    value: Annotated[str, Field(max_length=500)]
    regex: bool = False
    negate: bool = False


class Silence(Model):
    silence_id: ResourceId | None = None
    matchers: Annotated[list[Matcher], Field(min_length=1, max_length=20)]
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    created_by: Annotated[str, Field(min_length=1, max_length=200)]
    comment: Annotated[str, Field(max_length=2000)] = ""

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class EscalationStep(Model):
    after_seconds: Annotated[int, Field(ge=60, le=86_400)]
    channels: Annotated[list[ResourceId], Field(min_length=1, max_length=20)]


class EscalationPolicy(Model):
    policy_id: ResourceId | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)]
    steps: Annotated[list[EscalationStep], Field(min_length=1, max_length=10)]
    repeat_interval_seconds: Annotated[int, Field(ge=300, le=604_800)] | None = None
