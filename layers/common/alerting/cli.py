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

What a file may hold: `alerting.rule_files`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from alerting import backtest_cli, rules_as_code, rules_plan
from alerting.kinds import RULE
from alerting.models.common import utcnow
from alerting.models.rules import Rule
from alerting.repositories.clients import AWS_FAILURES, NO_REGION
from alerting.rule_files import SECTIONS, TESTS_FOLDER, Declared, load_folder, load_sections, reference_problems
from alerting.rule_tests.runner import run_files
from alerting.wiring import workstation_table


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
        counts = ", ".join(f"{len(declared[k.section])} {k.label}(s)" for k in SECTIONS if declared[k.section])
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
    if not args.table:
        print("--table: give the config table's name (the stack's output ConfigTableName)", file=sys.stderr)
        return 2

    wanted = {kind.name: declared[kind.section] for kind in SECTIONS}
    wanted[RULE.name] = [rules_plan.labelled(r) for r in rules]
    try:
        table = workstation_table(args.table, args.region, args.endpoint_url)
        the_plan = rules_plan.plan(wanted, rules_as_code.read_table(table), prune=args.prune, force=args.force)
        print(f"{args.folder} against the table {args.table}:")
        print(the_plan.render())
        if args.command == "plan" or not the_plan.ok:
            if args.command == "apply":
                print("Nothing applied.", file=sys.stderr)
            return 0 if the_plan.ok else 1
        done = rules_as_code.apply(the_plan, table, utcnow())
    except rules_as_code.ApplyFailed as exc:
        print(f"Stopped at {exc}; {len(exc.done)} change(s) were written before it.", file=sys.stderr)
        return 1
    except NO_REGION:
        print("--region: give the stack's region (or set AWS_DEFAULT_REGION)", file=sys.stderr)
        return 2
    except AWS_FAILURES as exc:
        print(f"table {args.table}: {exc}", file=sys.stderr)
        return 1
    counts = {action: sum(1 for c in done if c.action == action) for action in rules_plan.ACTIONS}
    print(
        f"Applied: {counts['create']} created, {counts['update']} updated, {counts['delete']} deleted"
        + (f", {counts['unchanged']} unchanged recorded as managed" if counts["unchanged"] else "")
        + "."
    )
    return 0


def run_rule_tests(files: Sequence[Path], folder: Path) -> int:
    """Run rule tests against the rules of ``folder`` (which must validate); 1 on any failure."""
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
