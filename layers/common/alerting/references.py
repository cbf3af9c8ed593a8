"""What configuration refers to what, in one place for the API and for rules as code.

A rule names channels and an escalation policy; a policy names channels and schedules; a
schedule names channels; a route, at any depth of its tree, names channels, a policy and mute
windows (`Kind.referred_by` says the same from the other side). A reference must
exist when its referrer is saved (the API answers 400 naming the field, `make rules-plan` lists
the same field and message), and nothing is deleted while something still refers to it (the API
answers 409 naming the referrers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from alerting.errors import InvalidInput
from alerting.kinds import CHANNEL, MUTE_WINDOW, POLICY, REFERRERS, ROUTE, RULE, SCHEDULE, Kind
from alerting.models.policies import EscalationPolicySpec
from alerting.models.routes import RouteSpec
from alerting.models.rules import RuleSpec
from alerting.models.schedules import ScheduleSpec

Exists = Callable[[Kind[Any], str], bool]  # (kind, id) → whether it is there


@dataclass(frozen=True)
class Reference:
    field: str  # "levels.0.targets.1.schedule": where the referrer names it
    kind: Kind[Any]  # CHANNEL, POLICY, SCHEDULE
    item_id: str

    @property
    def missing(self) -> str:
        return f"no {self.kind.label} {self.item_id!r}"


def rule_references(spec: RuleSpec) -> list[Reference]:
    found = [Reference(f"channels.{i}", CHANNEL, channel) for i, channel in enumerate(spec.channels)]
    if spec.escalation_policy_id is not None:
        found.append(Reference("escalation_policy_id", POLICY, spec.escalation_policy_id))
    return found


def policy_references(spec: EscalationPolicySpec) -> list[Reference]:
    found = []
    for i, level in enumerate(spec.levels):
        for j, target in enumerate(level.targets):
            at = f"levels.{i}.targets.{j}"
            if target.channel is not None:
                found.append(Reference(f"{at}.channel", CHANNEL, target.channel))
            if target.schedule is not None:
                found.append(Reference(f"{at}.schedule", SCHEDULE, target.schedule))
    return found


def schedule_references(spec: ScheduleSpec) -> list[Reference]:
    participants = [(f"rotation.participants.{i}", p) for i, p in enumerate(spec.rotation.participants)]
    participants += [(f"overrides.{i}.participant", o.participant) for i, o in enumerate(spec.overrides)]
    return [Reference(field, CHANNEL, channel) for field, channel in participants]


def route_references(spec: RouteSpec) -> list[Reference]:
    """What every route of the tree names: `routes.0.receiver.channels.1`, `mute_windows.0`..."""
    found = []
    for at, node in spec.nested():
        if node.receiver is not None:
            found += [Reference(f"{at}receiver.channels.{i}", CHANNEL, c) for i, c in enumerate(node.receiver.channels)]
            if node.receiver.escalation_policy_id is not None:
                found.append(
                    Reference(f"{at}receiver.escalation_policy_id", POLICY, node.receiver.escalation_policy_id)
                )
        for windows in ("mute_windows", "active_windows"):
            found += [Reference(f"{at}{windows}.{i}", MUTE_WINDOW, w) for i, w in enumerate(getattr(node, windows))]
    return found


_OF_KIND: dict[str, Callable[[Any], list[Reference]]] = {
    RULE.name: rule_references,
    POLICY.name: policy_references,
    SCHEDULE.name: schedule_references,
    ROUTE.name: route_references,
}


def references(kind: Kind[Any], spec: Any) -> list[Reference]:
    """What an item of ``kind`` names, in the order its fields come (none for other kinds)."""
    of_kind = _OF_KIND.get(kind.name)
    return of_kind(spec) if of_kind is not None else []


def missing(kind: Kind[Any], spec: Any, exists: Exists) -> list[Reference]:
    """Every reference of ``spec`` that ``exists`` does not find."""
    return [ref for ref in references(kind, spec) if not exists(ref.kind, ref.item_id)]


def check(kind: Kind[Any], spec: Any, exists: Exists) -> None:
    """InvalidInput naming the field of the first reference that does not exist (the API's 400)."""
    for ref in missing(kind, spec, exists)[:1]:
        raise InvalidInput(ref.field, ref.missing)


def users(kind: Kind[Any], item_id: str, items: Iterable[tuple[Kind[Any], str, Any]]) -> list[str]:
    """What refers to ``item_id`` of ``kind`` among ``items`` ((kind, id, spec) each):
    ["rule cpu", "escalation policy web"], rules first, then policies, schedules and routes."""
    found = {
        (REFERRERS.index(k), i)
        for k, i, spec in items
        if k in REFERRERS and any(r.kind == kind and r.item_id == item_id for r in references(k, spec))
    }
    return [f"{REFERRERS[rank].label} {i}" for rank, i in sorted(found)]
