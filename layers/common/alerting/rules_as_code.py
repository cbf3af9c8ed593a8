"""Rules as code: YAML files in a folder, validated with the same models as the API.

    alerting-rules validate rules/            every error, with file and field; exit 1 if any
    alerting-rules sync rules/ --table NAME   create or update each rule in the config table
                                              (--prune deletes rules labelled managed-by=rules-as-code
                                              that no file declares any more)

A file holds one rule (a mapping) or several (`rules: [...]`), and may hold escalation
policies (`escalation_policies: [...]`, each with its `policy_id`), which are synced before the
rules that name them. Without `rule_id`, a single-rule file takes its id from the file name.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from alerting.errors import InvalidInput, NotFound
from alerting.models.common import utcnow
from alerting.models.policies import EscalationPolicy
from alerting.models.rules import Rule
from alerting.samples import rule_sample
from alerting.templating import check
from alerting.validation import field_errors

MANAGED_LABEL = ("managed-by", "rules-as-code")
POLICIES_KEY = "escalation_policies"


@dataclass(frozen=True)
class Problem:
    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"


def _documents(folder: Path) -> list[tuple[Path, Any]]:
    """Every YAML file under ``folder``, in path order, parsed (or the error that stopped it)."""
    documents: list[tuple[Path, Any]] = []
    for path in sorted([*folder.glob("**/*.yaml"), *folder.glob("**/*.yml")]):
        try:
            documents.append((path, yaml.safe_load(path.read_text()) or {}))
        except yaml.YAMLError as exc:
            documents.append((path, exc))
    return documents


def load_folder(folder: Path) -> tuple[list[Rule], list[Problem]]:
    rules: list[Rule] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    documents = _documents(folder)
    if not documents:
        problems.append(Problem(str(folder), "-", "no .yaml files found"))
    for path, document in documents:
        if isinstance(document, yaml.YAMLError):
            problems.append(Problem(str(path), "-", f"not valid YAML: {document}"))
            continue
        if isinstance(document, dict) and POLICIES_KEY in document:
            document = {k: v for k, v in document.items() if k != POLICIES_KEY}
            if not document:
                continue  # a file of policies only
        entries = document.get("rules") if isinstance(document, dict) and "rules" in document else [document]
        if not isinstance(entries, list):
            problems.append(Problem(str(path), "rules", "must be a list of rules"))
            continue
        for index, entry in enumerate(entries):
            prefix = f"rules[{index}]." if len(entries) > 1 or "rules" in document else ""
            if not isinstance(entry, dict):
                problems.append(Problem(str(path), prefix.rstrip(".") or "-", "a rule must be a mapping"))
                continue
            data: dict[str, Any] = dict(entry)
            if "rule_id" not in data and len(entries) == 1:
                data["rule_id"] = re.sub(r"[^a-z0-9-]+", "-", path.stem.lower()).strip("-")
            try:
                rule = Rule.model_validate(data)
            except ValidationError as exc:
                problems.extend(Problem(str(path), f, m) for f, m in field_errors(exc.errors(), prefix))
                continue
            template_problems = _template_problems(rule)
            if template_problems:
                problems.extend(Problem(str(path), prefix + f, m) for f, m in template_problems)
                continue
            if rule.rule_id in seen:
                problems.append(Problem(str(path), prefix + "rule_id", f"duplicate of {seen[rule.rule_id]}"))
                continue
            seen[rule.rule_id] = str(path)
            rules.append(rule)
    return rules, problems


def load_policies(folder: Path) -> tuple[list[EscalationPolicy], list[Problem]]:
    """The `escalation_policies:` lists of every file in ``folder``."""
    policies: list[EscalationPolicy] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path, document in _documents(folder):  # a file that does not parse: load_folder reports it
        entries = document.get(POLICIES_KEY, []) if isinstance(document, dict) else []
        if not isinstance(entries, list):
            problems.append(Problem(str(path), POLICIES_KEY, "must be a list of policies"))
            continue
        for index, entry in enumerate(entries):
            prefix = f"{POLICIES_KEY}[{index}]."
            try:
                policy = EscalationPolicy.model_validate(entry)
            except ValidationError as exc:
                problems.extend(Problem(str(path), f, m) for f, m in field_errors(exc.errors(), prefix))
                continue
            if policy.policy_id in seen:
                problems.append(Problem(str(path), prefix + "policy_id", f"duplicate of {seen[policy.policy_id]}"))
                continue
            seen[policy.policy_id] = str(path)
            policies.append(policy)
    return policies, problems


def reference_problems(rules: Sequence[Rule], policies: Sequence[EscalationPolicy]) -> list[Problem]:
    """A rule naming a policy the folder does not declare."""
    declared = {p.policy_id for p in policies}
    return [
        Problem(r.rule_id, "escalation_policy_id", f"no escalation policy {r.escalation_policy_id!r} in the folder")
        for r in rules
        if r.escalation_policy_id is not None and r.escalation_policy_id not in declared
    ]


def _template_problems(rule: Rule) -> list[tuple[str, str]]:
    """The same test render the API does when a rule is saved."""
    sample = rule_sample(rule, utcnow())
    found = []
    for name, source in rule.annotations.items():
        try:
            check(source, f"annotations.{name}", sample)
        except InvalidInput as exc:
            found.append((exc.field, exc.message))
    return found


def sync(rules: Sequence[Rule], repository: Any, prune: bool = False) -> dict[str, list[str]]:
    """Create or update each rule (only when it changed), keeping created_at and bumping version."""
    labelled = [r.model_copy(update={"labels": {**r.labels, MANAGED_LABEL[0]: MANAGED_LABEL[1]}}) for r in rules]
    report = sync_items(labelled, repository, "rule_id")
    wanted = {r.rule_id for r in rules}
    if prune:
        for existing in list(repository.all()):
            managed = existing.labels.get(MANAGED_LABEL[0]) == MANAGED_LABEL[1]
            if managed and existing.rule_id not in wanted:
                repository.delete(existing.rule_id)
                report["deleted"].append(existing.rule_id)
    return report


def sync_items(items: Sequence[Any], repository: Any, id_field: str) -> dict[str, list[str]]:
    """Create or update each item of a config kind, only when it changed (versions bumped)."""
    now = utcnow()
    report: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": [], "deleted": []}
    server = {"version", "created_at", "updated_at"}
    for item in items:
        item_id = getattr(item, id_field)
        try:
            current = repository.get(item_id)
        except NotFound:
            repository.create(item.model_copy(update={"version": 1, "created_at": now, "updated_at": now}))
            report["created"].append(item_id)
            continue
        if current.model_dump(exclude=server) == item.model_dump(exclude=server):
            report["unchanged"].append(item_id)
            continue
        updated = item.model_copy(
            update={"version": current.version + 1, "created_at": current.created_at, "updated_at": now}
        )
        repository.replace(updated, current.version)
        report["updated"].append(item_id)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="alerting-rules", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="validate every rule file")
    validate.add_argument("folder", type=Path)
    push = commands.add_parser("sync", help="create or update the rules in the config table")
    push.add_argument("folder", type=Path)
    push.add_argument("--table", required=True, help="the stack's ConfigTable name (output ConfigTableName)")
    push.add_argument("--region", default=None)
    push.add_argument("--prune", action="store_true", help="delete managed rules no file declares")
    args = parser.parse_args(argv)

    rules, problems = load_folder(args.folder)
    policies, policy_problems = load_policies(args.folder)
    problems += policy_problems + reference_problems(rules, policies)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {args.folder}", file=sys.stderr)
        return 1
    if args.command == "validate":
        print(f"{len(rules)} rule(s) and {len(policies)} escalation policy(ies) valid in {args.folder}")
        return 0

    import boto3

    from alerting.repositories.config import KIND_POLICY, KIND_RULE, ConfigRepository

    dynamodb = boto3.client("dynamodb", region_name=args.region)
    if policies:  # first: the rules name them
        policy_repository = ConfigRepository(dynamodb, args.table, KIND_POLICY, EscalationPolicy, "policy_id")
        report = sync_items(policies, policy_repository, "policy_id")
        print("escalation policies: " + ", ".join(f"{k}: {len(v)}" for k, v in report.items() if k != "deleted"))
    report = sync(rules, ConfigRepository(dynamodb, args.table, KIND_RULE, Rule, "rule_id"), prune=args.prune)
    print("rules: " + ", ".join(f"{k}: {len(v)}" for k, v in report.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
