"""What configuration refers to what: a reference must exist when it is saved (422 naming the
field), and nothing is deleted while something still refers to it (409 naming the referrers)."""

from __future__ import annotations

from dataclasses import dataclass

from alerting.models.channels import Channel
from alerting.models.policies import EscalationPolicy, EscalationPolicySpec
from alerting.models.rules import Rule
from alerting.models.schedules import Schedule, ScheduleSpec
from alerting.repositories.config import ConfigRepository
from api.services.resources import existing


@dataclass
class References:
    rules: ConfigRepository[Rule]
    channels: ConfigRepository[Channel]
    policies: ConfigRepository[EscalationPolicy]
    schedules: ConfigRepository[Schedule]

    def check_policy(self, spec: EscalationPolicySpec) -> None:
        for i, level in enumerate(spec.levels):
            for j, target in enumerate(level.targets):
                at = f"levels.{i}.targets.{j}"
                if target.channel is not None:
                    existing(self.channels, f"{at}.channel", target.channel, "channel")
                if target.schedule is not None:
                    existing(self.schedules, f"{at}.schedule", target.schedule, "schedule")

    def check_schedule(self, spec: ScheduleSpec) -> None:
        for i, participant in enumerate(spec.rotation.participants):
            existing(self.channels, f"rotation.participants.{i}", participant, "channel")
        for i, override in enumerate(spec.overrides):
            existing(self.channels, f"overrides.{i}.participant", override.participant, "channel")

    def users_of_channel(self, channel_id: str) -> list[str]:
        users = sorted(f"rule {r.rule_id}" for r in self.rules.all() if channel_id in r.channels)
        users += sorted(
            f"escalation policy {p.policy_id}"
            for p in self.policies.all()
            if channel_id in p.channels_through(len(p.levels))
        )
        users += sorted(f"schedule {s.schedule_id}" for s in self.schedules.all() if channel_id in s.participants)
        return users

    def users_of_policy(self, policy_id: str) -> list[str]:
        return sorted(f"rule {r.rule_id}" for r in self.rules.all() if r.escalation_policy_id == policy_id)

    def users_of_schedule(self, schedule_id: str) -> list[str]:
        return sorted(f"escalation policy {p.policy_id}" for p in self.policies.all() if schedule_id in p.schedules)
