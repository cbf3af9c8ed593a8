"""What configuration refers to what, against the stored configuration: a reference must exist
when it is saved (400 naming the field), and nothing is deleted while something still refers
to it (409 naming the referrers). The rules of it are `alerting.references`, which rules as
code (`make rules-plan`) applies to the same table."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from alerting import references
from alerting.models.channels import Channel
from alerting.models.policies import EscalationPolicy, EscalationPolicySpec
from alerting.models.rules import Rule, RuleSpec
from alerting.models.schedules import Schedule, ScheduleSpec
from alerting.repositories.config import KIND_CHANNEL, KIND_POLICY, KIND_RULE, KIND_SCHEDULE, ConfigRepository


@dataclass
class References:
    rules: ConfigRepository[Rule]
    channels: ConfigRepository[Channel]
    policies: ConfigRepository[EscalationPolicy]
    schedules: ConfigRepository[Schedule]

    def exists(self, kind: str, item_id: str) -> bool:
        repositories: dict[str, ConfigRepository[Any]] = {
            KIND_RULE: self.rules,
            KIND_CHANNEL: self.channels,
            KIND_POLICY: self.policies,
            KIND_SCHEDULE: self.schedules,
        }
        return repositories[kind].find(item_id) is not None

    def check_rule(self, spec: RuleSpec) -> None:
        references.check(KIND_RULE, spec, self.exists)

    def check_policy(self, spec: EscalationPolicySpec) -> None:
        references.check(KIND_POLICY, spec, self.exists)

    def check_schedule(self, spec: ScheduleSpec) -> None:
        references.check(KIND_SCHEDULE, spec, self.exists)

    def users_of_channel(self, channel_id: str) -> list[str]:
        return references.users(KIND_CHANNEL, channel_id, self._referrers(self.rules, self.policies, self.schedules))

    def users_of_policy(self, policy_id: str) -> list[str]:
        return references.users(KIND_POLICY, policy_id, self._referrers(self.rules))

    def users_of_schedule(self, schedule_id: str) -> list[str]:
        return references.users(KIND_SCHEDULE, schedule_id, self._referrers(self.policies))

    @staticmethod
    def _referrers(*repositories: ConfigRepository[Any]) -> Iterator[tuple[str, str, Any]]:
        """(kind, id, item) of every stored item of the kinds that can refer to something."""
        for repository in repositories:
            for item in repository.all():
                yield repository.kind, repository.item_id(item), item
