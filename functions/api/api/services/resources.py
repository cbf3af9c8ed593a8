"""Configuration resources that are stored as given (escalation policies, schedules, mute
windows, inhibitions): create, list, get, replace with optimistic concurrency, and delete
unless something refers to it. What differs per kind is its description (`alerting.kinds`) and
its limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from alerting.errors import Conflict
from alerting.kinds import Kind
from alerting.limits import Limit
from alerting.models.common import Model, Page, Stored, new_id
from alerting.repositories.config import ConfigRepository
from api.services.concurrency import current_for_update
from api.services.references import References

R = TypeVar("R", bound=Stored)
SERVER_FIELDS = {"version", "created_at", "updated_at"}


@dataclass
class ResourceService(Generic[R]):
    kind: Kind[R]
    repository: ConfigRepository[R]
    references: References  # what it names must exist; it is not deleted while named
    limit: Limit | None = None  # how many may exist, where every tick or batch reads them all

    @property
    def id_field(self) -> str:
        return self.kind.id_field

    def create(self, spec: Model, now: datetime) -> R:
        self.references.check(self.kind, spec)
        if self.limit is not None:
            self.limit.check(sum(1 for _ in self.repository.all()))
        item_id = getattr(spec, self.id_field) or new_id()
        stored = self.kind.model.from_spec(spec, **{self.id_field: item_id}, version=1, created_at=now, updated_at=now)
        return self.repository.create(stored)

    def page(self, limit: int, next_token: str | None) -> Page[R]:
        return self.repository.page(limit, next_token)

    def get(self, item_id: str) -> R:
        return self.repository.get(item_id)

    def update(self, item_id: str, body: Model, if_match: str | None, now: datetime) -> R:
        """The whole resource, with the version the client read (body or If-Match)."""
        fields = body.model_dump()
        stored = current_for_update(
            self.repository, self.kind.name, item_id, fields.get(self.id_field), fields.get("version"), if_match
        )
        spec = self.kind.spec.model_validate({k: v for k, v in fields.items() if k not in SERVER_FIELDS})
        self.references.check(self.kind, spec)
        replaced = self.kind.model.from_spec(
            spec, **{self.id_field: item_id}, version=stored.version + 1, created_at=stored.created_at, updated_at=now
        )
        self.repository.replace(replaced, stored.version)
        return replaced

    def delete(self, item_id: str) -> None:
        self.repository.get(item_id)
        users = self.references.users(self.kind, item_id)
        if users:
            raise Conflict(f"{self.kind.label} {item_id!r} is used by {', '.join(users)}; remove it there first")
        self.repository.delete(item_id)
