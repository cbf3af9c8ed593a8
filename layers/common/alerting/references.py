"""What configuration refers to what, in one place for the API and for rules as code.

A rule names channels and an escalation policy; a policy names channels and schedules; a
schedule names channels. A reference must exist when its referrer is saved (the API answers
400 naming the field, `make rules-plan` lists the same field and message), and nothing is
deleted while something still refers to it (the API answers 409 naming the referrers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from alerting.errors import InvalidInput
from alerting.models.policies import EscalationPolicySpec
from alerting.models.rules import RuleSpec
from alerting.models.schedules import ScheduleSpec
from alerting.repositories.config import KIND_CHANNEL, KIND_POLICY, KIND_RULE, KIND_SCHEDULE

LABELS = {KIND_RULE: "rule", KIND_POLICY: "escalation policy", KIND_SCHEDULE: "schedule", KIND_CHANNEL: "channel"}
REFERRER_ORDER = (KIND_RULE, KIND_POLICY, KIND_SCHEDULE)  # how a 409 lists what is in the way

Exists = Callable[[str, str], bool]  # (kind, id) → whether it is there


@dataclass(frozen=True)
class Reference:
    field: str  # "levels.0.targets.1.schedule": where the referrer names it
    kind: str  # KIND_CHANNEL, KIND_POLICY, KIND_SCHEDULE
    item_id: str

    @property
    def missing(self) -> str:
        return f"no {LABELS[self.kind]} {self.item_id!r}"


def rule_references(spec: RuleSpec) -> list[Reference]:
    found = [Reference(f"channels.{i}", KIND_CHANNEL, channel) for i, channel in enumerate(spec.channels)]
    if spec.escalation_policy_id is not None:
        found.append(Reference("escalation_policy_id", KIND_POLICY, spec.escalation_policy_id))
    return found


def policy_references(spec: EscalationPolicySpec) -> list[Reference]:
    found = []
    for i, level in enumerate(spec.levels):
        for j, target in enumerate(level.targets):
            at = f"levels.{i}.targets.{j}"
            if target.channel is not None:
                found.append(Reference(f"{at}.channel", KIND_CHANNEL, target.channel))
            if target.schedule is not None:
                found.append(Reference(f"{at}.schedule", KIND_SCHEDULE, target.schedule))
    return found


def schedule_references(spec: ScheduleSpec) -> list[Reference]:
    participants = [(f"rotation.participants.{i}", p) for i, p in enumerate(spec.rotation.participants)]
    participants += [(f"overrides.{i}.participant", o.participant) for i, o in enumerate(spec.overrides)]
    return [Reference(field, KIND_CHANNEL, channel) for field, channel in participants]


_OF_KIND: dict[str, Callable[[Any], list[Reference]]] = {
    KIND_RULE: rule_references,
    KIND_POLICY: policy_references,
    KIND_SCHEDULE: schedule_references,
}


def references(kind: str, spec: Any) -> list[Reference]:
    """What an item of ``kind`` names, in the order its fields come (none for other kinds)."""
    of_kind = _OF_KIND.get(kind)
    return of_kind(spec) if of_kind is not None else []


def missing(kind: str, spec: Any, exists: Exists) -> list[Reference]:
    """Every reference of ``spec`` that ``exists`` does not find."""
    return [ref for ref in references(kind, spec) if not exists(ref.kind, ref.item_id)]


def check(kind: str, spec: Any, exists: Exists) -> None:
    """InvalidInput naming the field of the first reference that does not exist (the API's 400)."""
    for ref in missing(kind, spec, exists)[:1]:
        raise InvalidInput(ref.field, ref.missing)


def users(kind: str, item_id: str, items: Iterable[tuple[str, str, Any]]) -> list[str]:
    """What refers to ``item_id`` of ``kind`` among ``items`` ((kind, id, spec) each):
    ["rule cpu", "escalation policy web"], rules first, then policies, then schedules."""
    found = {
        (REFERRER_ORDER.index(k), i)
        for k, i, spec in items
        if k in REFERRER_ORDER and any(r.kind == kind and r.item_id == item_id for r in references(k, spec))
    }
    return [f"{LABELS[REFERRER_ORDER[rank]]} {i}" for rank, i in sorted(found)]
