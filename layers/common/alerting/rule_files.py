"""Rules as code's files: YAML in a folder, validated with the same models as the API.

A file holds one rule (a mapping) or several (`rules: [...]`), and may hold lists of the other
configuration, each entry with its id: `schedules:`, `escalation_policies:`, `mute_windows:`,
`routes:` and `inhibitions:` (`SECTIONS`; each kind's `section` in `alerting.kinds`). They are
applied in that order, before the rules (a rule names a policy, a policy names schedules, a
route names policies and mute windows). Without
`rule_id`, a single-rule file takes its id from the file name. Channels are not files: their
secrets go through the API to SSM. The `tests/` folder holds rule tests (`alerting.rule_tests`),
not rules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from alerting.errors import InvalidInput
from alerting.kinds import INHIBITION, MUTE_WINDOW, POLICY, ROUTE, SCHEDULE, Kind
from alerting.models.common import utcnow
from alerting.models.routes import StoredRoute
from alerting.models.rules import Rule
from alerting.samples import rule_sample
from alerting.templating import check
from alerting.validation import field_errors

TESTS_FOLDER = "tests"  # rule tests beside the rules: not rules themselves
# What a file may list beside its rules, in apply order: what is named comes before what names it.
SECTIONS: tuple[Kind[Any], ...] = (SCHEDULE, POLICY, MUTE_WINDOW, ROUTE, INHIBITION)
SECTION_KEYS = {kind.section for kind in SECTIONS}
Declared = dict[str, list[Any]]  # a kind's section → its items from every file


@dataclass(frozen=True)
class Problem:
    file: str  # the file, or the resource ("rule cpu") for what only the table can tell
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
            rule = _rule(path, entry, prefix, single=len(entries) == 1, problems=problems)
            if rule is None:
                continue
            if rule.rule_id in seen:
                problems.append(Problem(str(path), prefix + "rule_id", f"duplicate of {seen[rule.rule_id]}"))
                continue
            seen[rule.rule_id] = str(path)
            rules.append(rule)
    return rules, problems


def _rule(path: Path, entry: Any, prefix: str, *, single: bool, problems: list[Problem]) -> Rule | None:
    """One entry of a file as a rule, or None with its problems added."""
    if not isinstance(entry, dict):
        problems.append(Problem(str(path), prefix.rstrip(".") or "-", "a rule must be a mapping"))
        return None
    data: dict[str, Any] = dict(entry)
    if "rule_id" not in data and single:
        data["rule_id"] = re.sub(r"[^a-z0-9-]+", "-", path.stem.lower()).strip("-")
    try:
        rule = Rule.model_validate(data)
    except ValidationError as exc:
        problems.extend(Problem(str(path), f, m) for f, m in field_errors(exc.errors(), prefix))
        return None
    rendered = template_problems(rule)
    problems.extend(Problem(str(path), prefix + f, m) for f, m in rendered)
    return None if rendered else rule


def load_sections(folder: Path) -> tuple[Declared, list[Problem]]:
    """The `schedules:`, `escalation_policies:`, `mute_windows:`, `routes:` and `inhibitions:`
    lists of every file in ``folder``, validated, ids unique per kind."""
    declared: Declared = {kind.section: [] for kind in SECTIONS}
    problems: list[Problem] = []
    for kind in SECTIONS:
        seen: dict[str, str] = {}
        for path, document in _documents(folder):  # a file that does not parse: load_folder reports it
            entries = document.get(kind.section, []) if isinstance(document, dict) else []
            if not isinstance(entries, list):
                problems.append(Problem(str(path), kind.section, f"must be a list of {kind.label} entries"))
                continue
            for index, entry in enumerate(entries):
                prefix = f"{kind.section}[{index}]."
                try:
                    item = kind.model.model_validate(entry)
                except ValidationError as exc:
                    problems.extend(Problem(str(path), f, m) for f, m in field_errors(exc.errors(), prefix))
                    continue
                item_id = kind.item_id(item)
                if item_id in seen:
                    problems.append(Problem(str(path), prefix + kind.id_field, f"duplicate of {seen[item_id]}"))
                    continue
                seen[item_id] = str(path)
                declared[kind.section].append(item)
    return declared, problems


def reference_problems(rules: Sequence[Rule], declared: Declared) -> list[Problem]:
    """A rule naming a policy, a policy naming a schedule, or a route naming a policy or a mute
    window, that the folder does not declare (channels are the API's: the plan checks them)."""
    policies = {p.policy_id for p in declared[POLICY.section]}
    schedules = {s.schedule_id for s in declared[SCHEDULE.section]}
    problems = [
        Problem(r.rule_id, "escalation_policy_id", f"no escalation policy {r.escalation_policy_id!r} in the folder")
        for r in rules
        if r.escalation_policy_id is not None and r.escalation_policy_id not in policies
    ]
    for policy in declared[POLICY.section]:
        problems += [
            Problem(policy.policy_id, "levels", f"no schedule {name!r} in the folder")
            for name in policy.schedules
            if name not in schedules
        ]
    windows = {w.mute_window_id for w in declared[MUTE_WINDOW.section]}
    for route in declared[ROUTE.section]:
        problems += _route_problems(route, policies, windows)
    return problems


def _route_problems(route: StoredRoute, policies: set[str], windows: set[str]) -> list[Problem]:
    """The policies and windows a route's tree names that the folder does not declare."""
    problems = []
    for at, node in route.nested():
        policy = node.receiver.escalation_policy_id if node.receiver else None
        if policy is not None and policy not in policies:
            field = f"{at}receiver.escalation_policy_id"
            problems.append(Problem(route.route_id, field, f"no escalation policy {policy!r} in the folder"))
        named = [
            (f"{at}{kind}.{i}", w)
            for kind in ("mute_windows", "active_windows")
            for i, w in enumerate(getattr(node, kind))
        ]
        problems += [
            Problem(route.route_id, f, f"no mute window {w!r} in the folder") for f, w in named if w not in windows
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
