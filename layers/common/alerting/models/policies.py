"""Escalation policies: who hears of an alert nobody acknowledges, level by level."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, ClassVar, Self

from pydantic import Field, model_validator

from alerting.models.common import Model, ResourceId, Stored

OnCallLookup = Callable[[str], str | None]  # schedule id → the channel on call now (None: no such schedule)


class EscalationTarget(Model):
    """A channel, or an on-call schedule resolved to whoever is on call when the level is notified."""

    channel: ResourceId | None = None
    schedule: ResourceId | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.channel is None) == (self.schedule is None):
            raise ValueError("give exactly one of channel or schedule")
        return self

    def resolve(self, on_call: OnCallLookup) -> str | None:
        return self.channel if self.channel is not None else on_call(self.schedule or "")


class EscalationLevel(Model):
    targets: Annotated[list[EscalationTarget], Field(min_length=1, max_length=20)]
    # Once this level is notified, how long an open, unacknowledged alert waits for the next.
    escalate_after_seconds: Annotated[int, Field(ge=60, le=86_400, strict=True)]

    def channels(self, on_call: OnCallLookup) -> list[str]:
        return [c for c in (t.resolve(on_call) for t in self.targets) if c is not None]


class EscalationPolicySpec(Model):
    policy_id: ResourceId | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)]
    levels: Annotated[list[EscalationLevel], Field(min_length=1, max_length=10)]
    repeat: Annotated[int, Field(ge=0, le=9, strict=True)] = 0  # times to start again at level 1

    def channels_through(self, level: int) -> list[str]:
        """The fixed channels of levels 1..``level`` (schedules aside: who was on call is in the ledger)."""
        return list(dict.fromkeys(t.channel for lvl in self.levels[:level] for t in lvl.targets if t.channel))

    @property
    def schedules(self) -> list[str]:
        return list(dict.fromkeys(t.schedule for lvl in self.levels for t in lvl.targets if t.schedule))


class EscalationPolicy(Stored, EscalationPolicySpec):
    ID_FIELD: ClassVar[str] = "policy_id"
    policy_id: ResourceId
