"""Rules as code against the config table: what it holds (`read_table`), and a plan written to
it (`apply`, for `make rules-apply`). The files are read by `alerting.rule_files`, the plan is
made by `alerting.rules_plan`, the command is `alerting.cli`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alerting.errors import AlreadyExists, Conflict, NotFound
from alerting.kinds import CHANNEL
from alerting.repositories.applied import Applied, AppliedRecords
from alerting.repositories.config import ConfigRepository
from alerting.rules_plan import CREATE, DELETE, MANAGED, UPDATE, Change, Plan, Table, content_digest
from alerting.wiring import ConfigTable


def read_table(table: ConfigTable) -> Table:
    """Every managed item, the channels' ids and the records: one Query per kind."""
    items = {kind.name: {kind.item_id(i): i for i in table.repository(kind).all()} for kind in MANAGED}
    channels = frozenset(c.channel_id for c in table.repository(CHANNEL).all())
    return Table(items, channels, table.applied().all())


class ApplyFailed(Exception):
    """A write refused part-way (a change made since the plan): what was written stays written."""

    def __init__(self, change: Change, reason: str, done: list[Change]) -> None:
        super().__init__(f"{change.name}: {reason}")
        self.done = done


def apply(the_plan: Plan, table: ConfigTable, now: datetime) -> list[Change]:
    """Write ``the_plan`` (which must be ``ok``): creates and updates in apply order, then
    deletes (with --prune) in the reverse order, each write with its record in one transaction;
    unchanged resources without an up-to-date record get one. Returns what it wrote.
    ApplyFailed when the table changed since the plan (what was written before stays)."""
    if not the_plan.ok:
        raise ValueError("the plan has problems or changes that need --force")
    records = table.applied()
    deletes = the_plan.of(DELETE) if the_plan.prune else []
    steps = [c for c in the_plan.changes if c.action in (CREATE, UPDATE) or c.needs_record] + deletes[::-1]
    done: list[Change] = []
    for change in steps:
        try:
            _write(change, table.repository(change.kind), records, now)
        except (AlreadyExists, Conflict, NotFound) as exc:
            raise ApplyFailed(change, f"{exc}: the table changed since the plan; plan again", done) from None
        done.append(change)
    for kind, item_id in the_plan.orphans:
        records.delete(kind, item_id)
    return done


def _write(change: Change, repository: ConfigRepository[Any], records: AppliedRecords, now: datetime) -> None:
    current = change.current
    if change.action == CREATE:
        created = change.declared.model_copy(update={"version": 1, "created_at": now, "updated_at": now})
        repository.create(created, also=[records.put_step(_record(change, created, now))])
    elif change.action == UPDATE:
        server = {"version": current.version + 1, "created_at": current.created_at, "updated_at": now}
        updated = change.declared.model_copy(update=server)
        repository.replace(updated, current.version, also=[records.put_step(_record(change, updated, now))])
    elif change.action == DELETE:
        step = records.delete_step(change.kind.name, change.item_id)
        repository.delete_version(change.item_id, current.version, also=[step])
    else:  # unchanged: it already is what the files say
        records.save(_record(change, current, now))


def _record(change: Change, written: Any, now: datetime) -> Applied:
    return Applied(
        kind=change.kind.name,
        item_id=change.item_id,
        version=written.version,
        digest=content_digest(written),
        applied_at=now,
    )
