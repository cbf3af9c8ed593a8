"""Rules: create, list, update with optimistic concurrency, delete; disabling ends their alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alerting.errors import InvalidInput
from alerting.kinds import RULE
from alerting.models.common import Page, Severity, new_id
from alerting.models.rules import Rule, RuleSpec
from alerting.repositories.config import ConfigRepository
from alerting.samples import rule_sample
from alerting.templating import check
from api.schemas import RuleUpdate
from api.services.alerts import AlertService
from api.services.concurrency import current_for_update
from api.services.references import References

RULE_DISABLED = "rule_disabled"
RULE_DELETED = "rule_deleted"


@dataclass(frozen=True)
class RuleFilter:
    enabled: bool | None = None
    severity: Severity | None = None
    labels: tuple[tuple[str, str], ...] = ()

    def keep(self, rule: Rule) -> bool:
        return (
            (self.enabled is None or rule.enabled == self.enabled)
            and (self.severity is None or rule.severity == self.severity)
            and all(rule.labels.get(k) == v for k, v in self.labels)
        )


def parse_labels(values: list[str]) -> tuple[tuple[str, str], ...]:
    """`label=team:platform` (repeatable) → (("team", "platform"),)."""
    pairs = []
    for value in values:
        name, sep, wanted = value.partition(":")
        if not sep or not name:
            raise InvalidInput("label", "expected key:value")
        pairs.append((name, wanted))
    return tuple(pairs)


@dataclass
class RuleService:
    rules: ConfigRepository[Rule]
    references: References
    alerts: AlertService

    def create(self, spec: RuleSpec, now: datetime) -> Rule:
        self.check(spec, now)
        rule = Rule.from_spec(spec, rule_id=spec.rule_id or new_id(), version=1, created_at=now, updated_at=now)
        return self.rules.create(rule)

    def page(self, filters: RuleFilter, limit: int, next_token: str | None) -> Page[Rule]:
        return self.rules.page(limit, next_token, filters.keep, scope=repr(filters))

    def get(self, rule_id: str) -> Rule:
        return self.rules.get(rule_id)

    def update(self, rule_id: str, body: RuleUpdate, if_match: str | None, actor: str, now: datetime) -> Rule:
        """Replace the whole rule. A changed definition needs nothing here: the evaluator sees the
        new definition hash and clears the series' history itself."""
        stored = current_for_update(self.rules, "rule", rule_id, body.rule_id, body.version, if_match)
        spec = RuleSpec.model_validate(body.model_dump(exclude={"version", "created_at", "updated_at"}))
        self.check(spec, now)
        rule = Rule.from_spec(
            spec, rule_id=rule_id, version=stored.version + 1, created_at=stored.created_at, updated_at=now
        )
        self.rules.replace(rule, stored.version)
        if not rule.enabled:  # also retries a close that failed part-way on an earlier PUT
            self.alerts.close_for_rule(rule_id, actor, now, reason=RULE_DISABLED, delete_series=False)
        return rule

    def delete(self, rule_id: str, actor: str, now: datetime) -> None:
        """Disable first, so the evaluator stops and a failed clean-up can be finished by retrying
        the DELETE; then end the rule's alerts, drop its series, and the rule."""
        rule = self.rules.get(rule_id)
        if rule.enabled:
            disabled = rule.model_copy(update={"enabled": False, "version": rule.version + 1, "updated_at": now})
            self.rules.replace(disabled, rule.version)
        self.alerts.close_for_rule(rule_id, actor, now, reason=RULE_DELETED, delete_series=True)
        self.rules.delete(rule_id)

    def check(self, spec: RuleSpec, now: datetime) -> None:
        """What the model alone cannot know: its channels and policy exist, templates render on a
        sample alert."""
        self.references.check(RULE, spec)
        sample = rule_sample(spec, now)
        for name, source in spec.annotations.items():
            check(source, f"annotations.{name}", sample)
