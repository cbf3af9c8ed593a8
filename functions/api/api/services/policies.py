"""Escalation policies: create, list, update with optimistic concurrency, delete when unused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alerting.errors import Conflict, InvalidInput, NotFound
from alerting.models.channels import Channel
from alerting.models.common import Page, new_id
from alerting.models.policies import EscalationPolicy, EscalationPolicySpec
from alerting.models.rules import Rule
from alerting.repositories.config import ConfigRepository
from api.schemas import EscalationPolicyUpdate
from api.services.concurrency import current_for_update
from api.services.paging import checked_token


@dataclass
class PolicyService:
    policies: ConfigRepository[EscalationPolicy]
    channels: ConfigRepository[Channel]
    rules: ConfigRepository[Rule]

    def create(self, spec: EscalationPolicySpec, now: datetime) -> EscalationPolicy:
        self._check(spec)
        policy = EscalationPolicy.from_spec(
            spec, policy_id=spec.policy_id or new_id(), version=1, created_at=now, updated_at=now
        )
        return self.policies.create(policy)

    def page(self, limit: int, next_token: str | None) -> Page[EscalationPolicy]:
        with checked_token(next_token):
            return self.policies.page(limit, next_token)

    def get(self, policy_id: str) -> EscalationPolicy:
        return self.policies.get(policy_id)

    def update(
        self, policy_id: str, body: EscalationPolicyUpdate, if_match: str | None, now: datetime
    ) -> EscalationPolicy:
        """Open alerts follow the new levels from their next escalation on."""
        stored = current_for_update(self.policies, "policy", policy_id, body.policy_id, body.version, if_match)
        spec = EscalationPolicySpec.model_validate(body.model_dump(exclude={"version", "created_at", "updated_at"}))
        self._check(spec)
        policy = EscalationPolicy.from_spec(
            spec, policy_id=policy_id, version=stored.version + 1, created_at=stored.created_at, updated_at=now
        )
        self.policies.replace(policy, stored.version)
        return policy

    def delete(self, policy_id: str) -> None:
        self.policies.get(policy_id)
        users = sorted(r.rule_id for r in self.rules.all() if r.escalation_policy_id == policy_id)
        if users:
            raise Conflict(f"policy {policy_id!r} is used by rule(s) {', '.join(users)}; remove it there first")
        self.policies.delete(policy_id)

    def _check(self, spec: EscalationPolicySpec) -> None:
        for i, level in enumerate(spec.levels):
            for j, target in enumerate(level.targets):
                try:
                    self.channels.get(target.channel)
                except NotFound:
                    raise InvalidInput(f"levels.{i}.targets.{j}.channel", f"no channel {target.channel!r}") from None
