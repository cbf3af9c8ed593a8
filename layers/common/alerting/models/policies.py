"""Escalation policies: who hears of an alert nobody acknowledges, level by level."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from alerting.models.common import Model, ResourceId, UtcDatetime


class EscalationTarget(Model):
    channel: ResourceId


class EscalationLevel(Model):
    targets: Annotated[list[EscalationTarget], Field(min_length=1, max_length=20)]
    # Once this level is notified, how long an open, unacknowledged alert waits for the next.
    escalate_after_seconds: Annotated[int, Field(ge=60, le=86_400, strict=True)]

    @property
    def channels(self) -> list[str]:
        return [t.channel for t in self.targets]


class EscalationPolicySpec(Model):
    policy_id: ResourceId | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)]
    levels: Annotated[list[EscalationLevel], Field(min_length=1, max_length=10)]
    repeat: Annotated[int, Field(ge=0, le=9, strict=True)] = 0  # times to start again at level 1

    def channels_through(self, level: int) -> list[str]:
        """Every channel of levels 1..``level``: who has heard of an alert that reached it."""
        return list(dict.fromkeys(c for lvl in self.levels[:level] for c in lvl.channels))


class EscalationPolicy(EscalationPolicySpec):
    policy_id: ResourceId
    version: int = 1
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None

    @classmethod
    def from_spec(cls, spec: EscalationPolicySpec, **server_fields: Any) -> EscalationPolicy:
        return cls.model_validate(spec.model_dump(exclude={"policy_id"}) | server_fields)
