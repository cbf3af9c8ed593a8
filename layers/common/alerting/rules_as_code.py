"""Rules as code: YAML files in a folder, validated with the same models as the API.

    alerting-rules validate rules/            every error, with file and field; exit 1 if any
    alerting-rules sync rules/ --table NAME   create or update each rule in the config table
                                              (--prune deletes rules labelled managed-by=rules-as-code
                                              that no file declares any more)

A file holds one rule (a mapping) or several (`rules: [...]`). Without `rule_id`, a single-rule
file takes its id from the file name.
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
from alerting.models.rules import Rule
from alerting.samples import rule_sample
from alerting.templating import check
from alerting.validation import field_errors

MANAGED_LABEL = ("managed-by", "rules-as-code")


@dataclass(frozen=True)
class Problem:
    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"


def load_folder(folder: Path) -> tuple[list[Rule], list[Problem]]:
    rules: list[Rule] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    files = sorted([*folder.glob("**/*.yaml"), *folder.glob("**/*.yml")])
    if not files:
        problems.append(Problem(str(folder), "-", "no .yaml files found"))
    for path in files:
        try:
            document = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            problems.append(Problem(str(path), "-", f"not valid YAML: {exc}"))
            continue
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
    now = utcnow()
    report: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": [], "deleted": []}
    wanted = {r.rule_id for r in rules}
    for rule in rules:
        labelled = rule.model_copy(update={"labels": {**rule.labels, MANAGED_LABEL[0]: MANAGED_LABEL[1]}})
        try:
            current = repository.get(rule.rule_id)
        except NotFound:
            repository.create(labelled.model_copy(update={"version": 1, "created_at": now, "updated_at": now}))
            report["created"].append(rule.rule_id)
            continue
        server = {"version", "created_at", "updated_at"}
        if current.model_dump(exclude=server) == labelled.model_dump(exclude=server):
            report["unchanged"].append(rule.rule_id)
            continue
        updated = labelled.model_copy(
            update={"version": current.version + 1, "created_at": current.created_at, "updated_at": now}
        )
        repository.replace(updated, current.version)
        report["updated"].append(rule.rule_id)
    if prune:
        for existing in list(repository.all()):
            managed = existing.labels.get(MANAGED_LABEL[0]) == MANAGED_LABEL[1]
            if managed and existing.rule_id not in wanted:
                repository.delete(existing.rule_id)
                report["deleted"].append(existing.rule_id)
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
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {args.folder}", file=sys.stderr)
        return 1
    if args.command == "validate":
        print(f"{len(rules)} rule(s) valid in {args.folder}")
        return 0

    import boto3

    from alerting.repositories.config import KIND_RULE, ConfigRepository

    repository = ConfigRepository(
        boto3.client("dynamodb", region_name=args.region), args.table, KIND_RULE, Rule, "rule_id"
    )
    report = sync(rules, repository, prune=args.prune)
    print(", ".join(f"{k}: {len(v)}" for k, v in report.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
