"""Rules as code's plan (`make rules-plan`; `make rules-apply` writes it: `alerting.rules_as_code`).

The plan compares what the files declare with what the config table holds: creates, updates
(the fields they change), deletes and what is unchanged. It is a pure function of the two
(`plan`). What the API would refuse is a problem and nothing is written: a reference to a
channel, policy, schedule or mute window that will not exist (the same check as the API's,
`alerting.references`), a delete of something still referred to.

Every write is recorded beside the resource, in the same transaction (`AppliedRecords`: the
version written and a digest of the content). A resource whose content no longer has its
record's digest was changed outside rules as code (through the API) since the last apply, and
one without a record was never written by it: updating or deleting either needs `--force`.
A resource with a record (or a rule labelled managed-by: rules-as-code, as `sync` left them)
is managed: only those are deleted when no file declares them, and only with `--prune`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from alerting import references
from alerting.kinds import CHANNEL, REFERRERS, RULE, Kind
from alerting.models.common import digest, iso
from alerting.models.rules import Rule
from alerting.repositories.applied import Applied
from alerting.rule_files import SECTIONS, Problem

MANAGED_LABEL = ("managed-by", "rules-as-code")
SERVER_FIELDS = {"version", "created_at", "updated_at"}
CREATE, UPDATE, DELETE, UNCHANGED = "create", "update", "delete", "unchanged"
ACTIONS = (CREATE, UPDATE, DELETE, UNCHANGED)
MANAGED: tuple[Kind[Any], ...] = (*SECTIONS, RULE)  # in apply order: what is named before what names it


def content(item: Any) -> dict[str, Any]:
    """What a resource says, without the fields the server sets."""
    dumped: dict[str, Any] = item.model_dump(mode="json", exclude=SERVER_FIELDS)
    return dumped


def content_digest(item: Any) -> str:
    return digest(content(item), length=32)


def labelled(rule: Rule) -> Rule:
    """A rule as rules as code writes it: labelled, so people see where to change it."""
    return rule.model_copy(update={"labels": {**rule.labels, MANAGED_LABEL[0]: MANAGED_LABEL[1]}})


@dataclass(frozen=True)
class Table:
    """What the config table holds: the managed kinds' items, the channels, the records."""

    items: Mapping[str, Mapping[str, Any]]  # kind → id → item
    channels: frozenset[str]
    applied: Mapping[tuple[str, str], Applied]


@dataclass(frozen=True)
class Change:
    kind: Kind[Any]
    action: str  # CREATE, UPDATE, DELETE, UNCHANGED
    item_id: str
    declared: Any = None  # what the files say (None: a delete)
    current: Any = None  # what the table holds (None: a create)
    fields: tuple[str, ...] = ()  # what an update changes
    drift: str | None = None  # why an update or delete needs --force
    record: Applied | None = None  # what the last apply wrote to it

    @property
    def needs_record(self) -> bool:
        """An unchanged resource with no record, or a stale one, is recorded as it is."""
        if self.action != UNCHANGED or self.current is None:
            return False
        written = (self.record.version, self.record.digest) if self.record else None
        return written != (self.current.version, content_digest(self.current))

    @property
    def name(self) -> str:
        return f"{self.kind.label} {self.item_id}"


@dataclass(frozen=True)
class Plan:
    changes: list[Change]
    problems: list[Problem]
    prune: bool = False
    force: bool = False
    orphans: list[tuple[str, str]] = field(default_factory=list)  # records of resources gone from both sides

    def of(self, action: str) -> list[Change]:
        return [c for c in self.changes if c.action == action]

    @property
    def blocked(self) -> list[Change]:
        """Changes to resources changed outside rules as code, refused without --force."""
        acting = (UPDATE, DELETE) if self.prune else (UPDATE,)
        return [] if self.force else [c for c in self.changes if c.action in acting and c.drift]

    @property
    def ok(self) -> bool:
        return not self.problems and not self.blocked

    def render(self) -> str:
        marks = {CREATE: "+", UPDATE: "~", DELETE: "-"}
        lines = []
        for change in self.changes:
            if change.action == UNCHANGED:
                continue
            line = f"  {marks[change.action]} {change.name}"
            if change.fields:
                line += ": " + ", ".join(change.fields)
            if change.action == DELETE and not self.prune:
                line += "   (kept: deletes need --prune)"
            lines.append(line)
            if change.drift and (change.action == UPDATE or self.prune):
                lines.append(f"      {'--force overwrites' if self.force else 'needs --force'}: {change.drift}")
        if self.problems:
            lines.append("Problems (the API refuses these):")
            lines += [f"  {problem}" for problem in self.problems]
        counts = [f"{len(self.of(a))} to {a}" for a in (CREATE, UPDATE, DELETE)]
        summary = "Plan: " + ", ".join([*counts, f"{len(self.of(UNCHANGED))} unchanged"])
        if not self.prune and self.of(DELETE):
            summary += " (deletes only with --prune)"
        if not self.ok:
            summary += f"; {len(self.problems)} problem(s), {len(self.blocked)} change(s) need --force: not applicable"
        return "\n".join([*lines, summary + "."])


def plan(declared: Mapping[str, Sequence[Any]], table: Table, *, prune: bool = False, force: bool = False) -> Plan:
    """What applying ``declared`` (kind → items, rules labelled) to ``table`` would do."""
    changes: list[Change] = []
    for kind in MANAGED:
        current = table.items.get(kind.name, {})
        wanted = {kind.item_id(item): item for item in declared.get(kind.name, [])}
        for item_id, item in wanted.items():
            record = table.applied.get((kind.name, item_id))
            changes.append(_change(kind, item_id, item, current.get(item_id), record))
        for item_id, existing in current.items():
            record = table.applied.get((kind.name, item_id))
            if item_id not in wanted and _managed(existing, record):
                drift = _drift(existing, record)
                changes.append(Change(kind, DELETE, item_id, current=existing, drift=drift, record=record))
    declared_ids = {(c.kind.name, c.item_id) for c in changes}
    orphans = [key for key in table.applied if key not in declared_ids and key[1] not in table.items.get(key[0], {})]
    return Plan(changes, _reference_problems(changes, table, prune), prune, force, orphans)


def _change(kind: Kind[Any], item_id: str, item: Any, current: Any | None, record: Applied | None) -> Change:
    if current is None:
        return Change(kind, CREATE, item_id, declared=item, record=record)
    was, wanted = content(current), content(item)
    if was == wanted:
        return Change(kind, UNCHANGED, item_id, declared=item, current=current, record=record)
    fields = tuple(sorted(name for name in was.keys() | wanted.keys() if was.get(name) != wanted.get(name)))
    return Change(kind, UPDATE, item_id, item, current, fields, _drift(current, record), record)


def _managed(item: Any, record: Applied | None) -> bool:
    labels = getattr(item, "labels", None) or {}
    return record is not None or labels.get(MANAGED_LABEL[0]) == MANAGED_LABEL[1]


def _drift(current: Any, record: Applied | None) -> str | None:
    """Why overwriting ``current`` would lose a change made outside rules as code, if it would."""
    when = iso(current.updated_at) if current.updated_at else "at an unknown time"
    stored = f"version {current.version}, updated {when}"
    if record is None:
        return f"not written by rules as code ({stored})"
    if content_digest(current) != record.digest:
        return f"changed outside rules as code since the last apply ({stored}; it wrote version {record.version})"
    return None


def _reference_problems(changes: Sequence[Change], table: Table, prune: bool) -> list[Problem]:
    """What the API would refuse, against the table as it will be once the plan is applied."""
    after = {kind: dict(items) for kind, items in table.items.items()}
    for change in changes:
        kind_items = after.setdefault(change.kind.name, {})
        if change.action in (CREATE, UPDATE):
            kind_items[change.item_id] = change.declared
        elif change.action == DELETE and prune:
            kind_items.pop(change.item_id, None)

    def exists(kind: Kind[Any], item_id: str) -> bool:
        return item_id in table.channels if kind == CHANNEL else item_id in after.get(kind.name, {})

    def referrers() -> Iterator[tuple[Kind[Any], str, Any]]:
        for kind in REFERRERS:
            for item_id, item in after.get(kind.name, {}).items():
                yield kind, item_id, item

    problems = []
    for change in changes:
        if change.action in (CREATE, UPDATE):
            problems += [
                Problem(change.name, ref.field, ref.missing)
                for ref in references.missing(change.kind, change.declared, exists)
            ]
        elif change.action == DELETE and prune:
            users = references.users(change.kind, change.item_id, referrers())
            if users:
                problems.append(Problem(change.name, "-", f"is used by {', '.join(users)}: cannot be deleted"))
    return problems
