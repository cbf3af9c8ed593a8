"""Rules as code: YAML files in a folder, validated with the same models as the API.

    alerting-rules validate rules/            every error, with file and field; exit 1 if any
    alerting-rules sync rules/ --table NAME   create or update each rule in the config table
                                              (--prune deletes rules labelled managed-by=rules-as-code
                                              that no file declares any more)
    alerting-rules test [FILES] [--rules DIR] run rule tests (default rules/tests/*.yaml, docs/testing-rules.md);
                                              a diff of expected and got, exit 1 on a mismatch
    alerting-rules backtest RULE_ID --days 14 what the rule would have done (alerting.backtest_cli)

A file holds one rule (a mapping) or several (`rules: [...]`), and may hold lists of the other
configuration, each entry with its id: `schedules:`, `escalation_policies:`, `mute_windows:`
and `inhibitions:`. They are synced in that order, before the rules (a rule names a policy, a
policy names schedules). Without `rule_id`, a single-rule file takes its id from the file name.
Channels are not files: their secrets go through the API to SSM. The `tests/` folder holds rule
tests (`alerting.rule_tests`), not rules.
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

from alerting import backtest_cli
from alerting.errors import InvalidInput, NotFound
from alerting.models.common import Stored, utcnow
from alerting.models.inhibitions import Inhibition
from alerting.models.mute_windows import MuteWindow
from alerting.models.policies import EscalationPolicy
from alerting.models.rules import Rule
from alerting.models.schedules import Schedule
from alerting.repositories.config import KIND_INHIBITION, KIND_MUTE_WINDOW, KIND_POLICY, KIND_SCHEDULE
from alerting.samples import rule_sample
from alerting.templating import check
from alerting.validation import field_errors

MANAGED_LABEL = ("managed-by", "rules-as-code")
TESTS_FOLDER = "tests"  # rule tests beside the rules: not rules themselves


@dataclass(frozen=True)
class Section:
    """A list of configuration beside the rules: its YAML key, model and config-table kind."""

    key: str
    model: type[Stored]
    kind: str
    label: str


# In sync order: what is named comes before what names it.
SECTIONS = (
    Section("schedules", Schedule, KIND_SCHEDULE, "schedule"),
    Section("escalation_policies", EscalationPolicy, KIND_POLICY, "escalation policy"),
    Section("mute_windows", MuteWindow, KIND_MUTE_WINDOW, "mute window"),
    Section("inhibitions", Inhibition, KIND_INHIBITION, "inhibition"),
)
SECTION_KEYS = {section.key for section in SECTIONS}
Declared = dict[str, list[Any]]  # section key → its items from every file


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
        if path.relative_to(folder).parts[0] == TESTS_FOLDER:
            continue
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
        if isinstance(document, dict) and SECTION_KEYS & document.keys():
            document = {k: v for k, v in document.items() if k not in SECTION_KEYS}
            if not document:
                continue  # a file of schedules, policies... only
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
            rendered = template_problems(rule)
            if rendered:
                problems.extend(Problem(str(path), prefix + f, m) for f, m in rendered)
                continue
            if rule.rule_id in seen:
                problems.append(Problem(str(path), prefix + "rule_id", f"duplicate of {seen[rule.rule_id]}"))
                continue
            seen[rule.rule_id] = str(path)
            rules.append(rule)
    return rules, problems


def load_sections(folder: Path) -> tuple[Declared, list[Problem]]:
    """The `schedules:`, `escalation_policies:`, `mute_windows:` and `inhibitions:` lists of
    every file in ``folder``, validated, ids unique per section."""
    declared: Declared = {section.key: [] for section in SECTIONS}
    problems: list[Problem] = []
    for section in SECTIONS:
        id_field = section.model.ID_FIELD
        seen: dict[str, str] = {}
        for path, document in _documents(folder):  # a file that does not parse: load_folder reports it
            entries = document.get(section.key, []) if isinstance(document, dict) else []
            if not isinstance(entries, list):
                problems.append(Problem(str(path), section.key, f"must be a list of {section.label} entries"))
                continue
            for index, entry in enumerate(entries):
                prefix = f"{section.key}[{index}]."
                try:
                    item = section.model.model_validate(entry)
                except ValidationError as exc:
                    problems.extend(Problem(str(path), f, m) for f, m in field_errors(exc.errors(), prefix))
                    continue
                item_id = getattr(item, id_field)
                if item_id in seen:
                    problems.append(Problem(str(path), prefix + id_field, f"duplicate of {seen[item_id]}"))
                    continue
                seen[item_id] = str(path)
                declared[section.key].append(item)
    return declared, problems


def reference_problems(rules: Sequence[Rule], declared: Declared) -> list[Problem]:
    """A rule naming a policy, or a policy naming a schedule, that the folder does not declare."""
    policies = {p.policy_id for p in declared["escalation_policies"]}
    schedules = {s.schedule_id for s in declared["schedules"]}
    problems = [
        Problem(r.rule_id, "escalation_policy_id", f"no escalation policy {r.escalation_policy_id!r} in the folder")
        for r in rules
        if r.escalation_policy_id is not None and r.escalation_policy_id not in policies
    ]
    for policy in declared["escalation_policies"]:
        problems += [
            Problem(policy.policy_id, "levels", f"no schedule {name!r} in the folder")
            for name in policy.schedules
            if name not in schedules
        ]
    return problems


def template_problems(rule: Rule) -> list[tuple[str, str]]:
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
    tester = commands.add_parser("test", help="run rule tests: the alerts expected at given ticks")
    tester.add_argument("files", nargs="*", type=Path, help="test files (default: rules/tests/*.yaml)")
    tester.add_argument("--rules", type=Path, default=Path("rules"), help="the folder tests take rule ids from")
    backtest_cli.add_parser(commands)
    args = parser.parse_args(argv)
    if args.command == "backtest":
        return backtest_cli.main(args)
    if args.command == "test":
        return run_rule_tests(args.files or sorted(args.rules.glob(f"{TESTS_FOLDER}/*.yaml")), args.rules)

    rules, problems = load_folder(args.folder)
    declared, section_problems = load_sections(args.folder)
    problems += section_problems + reference_problems(rules, declared)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {args.folder}", file=sys.stderr)
        return 1
    if args.command == "validate":
        counts = ", ".join(f"{len(declared[s.key])} {s.label}(s)" for s in SECTIONS if declared[s.key])
        print(f"{len(rules)} rule(s){', ' + counts if counts else ''} valid in {args.folder}")
        return 0

    import boto3

    from alerting.repositories.config import KIND_RULE, ConfigRepository

    dynamodb = boto3.client("dynamodb", region_name=args.region)
    for section in SECTIONS:  # first: the rules name them
        if declared[section.key]:
            repository = ConfigRepository(dynamodb, args.table, section.kind, section.model, section.model.ID_FIELD)
            report = sync_items(declared[section.key], repository, section.model.ID_FIELD)
            print(f"{section.key}: " + ", ".join(f"{k}: {len(v)}" for k, v in report.items() if k != "deleted"))
    report = sync(rules, ConfigRepository(dynamodb, args.table, KIND_RULE, Rule, "rule_id"), prune=args.prune)
    print("rules: " + ", ".join(f"{k}: {len(v)}" for k, v in report.items()))
    return 0


def run_rule_tests(files: Sequence[Path], folder: Path) -> int:
    """Run rule tests against the rules of ``folder`` (which must validate); 1 on any failure."""
    from alerting.rule_tests import run_files  # it imports this module's template check

    rules, problems = load_folder(folder)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {folder}: fix the rules before testing them", file=sys.stderr)
        return 1
    report = run_files(files, {rule.rule_id: rule for rule in rules})
    print(report.render(), file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
