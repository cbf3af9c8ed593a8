"""Rules as code: YAML files in a folder, validated with the same models as the API.

    alerting-rules validate rules/            every error, with file and field; exit 1 if any
    alerting-rules plan rules/ --table NAME   what apply would create, update and delete in the config
                                              table, references checked as the API checks them; exit 1
                                              if the API would refuse some of it or it needs --force
    alerting-rules apply rules/ --table NAME  that plan, written (nothing when it is not applicable);
                                              --force overwrites changes made through the API since the
                                              last apply, --prune deletes what no file declares any more
                                              (only what rules as code manages): alerting.rules_plan
    alerting-rules test [FILES] [--rules DIR] run rule tests (default rules/tests/*.yaml, docs/testing-rules.md);
                                              a diff of expected and got, exit 1 on a mismatch
    alerting-rules backtest RULE_ID --days 14 what the rule would have done (alerting.backtest_cli)

A file holds one rule (a mapping) or several (`rules: [...]`), and may hold lists of the other
configuration, each entry with its id: `schedules:`, `escalation_policies:`, `mute_windows:`
and `inhibitions:`. They are applied in that order, before the rules (a rule names a policy, a
policy names schedules). Without `rule_id`, a single-rule file takes its id from the file name.
Channels are not files: their secrets go through the API to SSM. The `tests/` folder holds rule
tests (`alerting.rule_tests`), not rules.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from alerting import backtest_cli, rules_plan
from alerting.errors import InvalidInput
from alerting.models.common import utcnow
from alerting.models.rules import Rule
from alerting.rules_plan import RULES, SECTIONS, Problem, labelled
from alerting.samples import rule_sample
from alerting.templating import check
from alerting.validation import field_errors

TESTS_FOLDER = "tests"  # rule tests beside the rules: not rules themselves
SECTION_KEYS = {section.key for section in SECTIONS}
Declared = dict[str, list[Any]]  # section key → its items from every file


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
        id_field = section.id_field
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="alerting-rules", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="validate every rule file")
    validate.add_argument("folder", type=Path)
    for name, text in (("plan", "what apply would change in the config table"), ("apply", "apply that plan")):
        add_table_arguments(commands.add_parser(name, help=text))
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
    problems += section_problems
    if args.command == "validate":  # offline: the plan checks references against the table
        problems += reference_problems(rules, declared)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {args.folder}", file=sys.stderr)
        return 1
    if args.command == "validate":
        counts = ", ".join(f"{len(declared[s.key])} {s.label}(s)" for s in SECTIONS if declared[s.key])
        print(f"{len(rules)} rule(s){', ' + counts if counts else ''} valid in {args.folder}")
        return 0
    return plan_and_apply(args, rules, declared)


def add_table_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", type=Path)
    parser.add_argument("--table", required=True, help="the stack's ConfigTable name (output ConfigTableName)")
    parser.add_argument("--region", default=None)
    parser.add_argument("--endpoint-url", default=None, help="a local stack's AWS endpoint (make serve prints it)")
    parser.add_argument("--prune", action="store_true", help="delete what rules as code manages and no file declares")
    parser.add_argument("--force", action="store_true", help="overwrite changes made outside rules as code")


def plan_and_apply(args: argparse.Namespace, rules: Sequence[Rule], declared: Declared) -> int:
    """Print the plan; with `apply`, write it if the API would take all of it."""
    from botocore.exceptions import BotoCoreError, ClientError, NoRegionError

    if not args.table:
        print("--table: give the config table's name (the stack's output ConfigTableName)", file=sys.stderr)
        return 2

    wanted = {section.kind: declared[section.key] for section in SECTIONS} | {RULES.kind: [labelled(r) for r in rules]}
    try:
        client = dynamodb(args.region, args.endpoint_url)
        the_plan = rules_plan.plan(
            wanted, rules_plan.read_table(client, args.table), prune=args.prune, force=args.force
        )
        print(f"{args.folder} against the table {args.table}:")
        print(the_plan.render())
        if args.command == "plan" or not the_plan.ok:
            if args.command == "apply":
                print("Nothing applied.", file=sys.stderr)
            return 0 if the_plan.ok else 1
        done = rules_plan.apply(the_plan, client, args.table, utcnow())
    except rules_plan.ApplyFailed as exc:
        print(f"Stopped at {exc}; {len(exc.done)} change(s) were written before it.", file=sys.stderr)
        return 1
    except NoRegionError:
        print("--region: give the stack's region (or set AWS_DEFAULT_REGION)", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as exc:
        print(f"table {args.table}: {exc}", file=sys.stderr)
        return 1
    counts = {action: sum(1 for c in done if c.action == action) for action in rules_plan.ACTIONS}
    print(
        f"Applied: {counts['create']} created, {counts['update']} updated, {counts['delete']} deleted"
        + (f", {counts['unchanged']} unchanged recorded as managed" if counts["unchanged"] else "")
        + "."
    )
    return 0


def dynamodb(region: str | None, endpoint_url: str | None) -> Any:
    """A DynamoDB client; for a local stack (``endpoint_url``) any credentials do (moto)."""
    import boto3

    session = boto3.Session(region_name=region)
    if endpoint_url and session.get_credentials() is None:
        session = boto3.Session(
            region_name=region or "us-east-1", aws_access_key_id="local", aws_secret_access_key="local"
        )
    elif endpoint_url and session.region_name is None:
        session = boto3.Session(region_name="us-east-1")
    return session.client("dynamodb", endpoint_url=endpoint_url)


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
