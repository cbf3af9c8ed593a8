"""`alerting-rules sync` against the config table built from the template."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerting.errors import NotFound
from alerting.models import Rule, Severity
from alerting.models.policies import EscalationPolicy
from alerting.repositories.config import KIND_POLICY, KIND_RULE, ConfigRepository
from alerting.rules_as_code import load_folder, load_sections, sync, sync_items

ROOT = Path(__file__).parents[2]


def test_sync_creates_updates_and_prunes(aws, tmp_path: Path):
    repository = ConfigRepository(
        aws.client("dynamodb"), aws.env("ApiFunction")["CONFIG_TABLE"], KIND_RULE, Rule, "rule_id"
    )
    rules, _ = load_folder(ROOT / "rules")
    first = sync(rules, repository)
    assert sorted(first["created"]) == sorted(r.rule_id for r in rules)
    assert sync(rules, repository)["unchanged"] == [r.rule_id for r in rules]

    changed = [rules[0].model_copy(update={"severity": Severity.low})]
    report = sync(changed, repository, prune=True)
    assert report["updated"] == [rules[0].rule_id]
    assert sorted(report["deleted"]) == sorted(r.rule_id for r in rules[1:])
    stored = repository.get(rules[0].rule_id)
    assert (stored.severity, stored.version, stored.labels["managed-by"]) == ("low", 2, "rules-as-code")
    with pytest.raises(NotFound):
        repository.get(rules[1].rule_id)


def test_sync_writes_the_folders_escalation_policies_once(aws):
    repository = ConfigRepository(
        aws.client("dynamodb"), aws.env("ApiFunction")["CONFIG_TABLE"], KIND_POLICY, EscalationPolicy, "policy_id"
    )
    declared, _ = load_sections(ROOT / "rules")
    policies = declared["escalation_policies"]

    assert sync_items(policies, repository, "policy_id")["created"] == ["web-oncall"]
    assert sync_items(policies, repository, "policy_id")["unchanged"] == ["web-oncall"]
    stored = repository.get("web-oncall")
    assert (len(stored.levels), stored.repeat, stored.version) == (3, 1, 1)
