"""Configuration resources that are stored as given (escalation policies, schedules, mute
windows, inhibitions): create, list, get, replace with optimistic concurrency, and delete
unless something refers to it. What differs per kind is handed in: its checks and referrers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from alerting.errors import Conflict, LimitReached
from alerting.models.common import Model, Page, Stored, new_id
from alerting.repositories.config import ConfigRepository
from api.services.concurrency import current_for_update
from api.services.paging import checked_token

S = TypeVar("S", bound=Model)
R = TypeVar("R", bound=Stored)
SERVER_FIELDS = {"version", "created_at", "updated_at"}


def no_referrers(_: str) -> list[str]:
    return []


@dataclass(frozen=True)
class Limit:
    """A deployment parameter (``name``) capping how many of something may exist: checked when
    one is created (concurrent creates may pass it by their number; the next one is refused)."""

    what: str  # "mute windows"
    maximum: int
    name: str  # "MaxMuteWindows"

    def check(self, existing: int) -> None:
        if existing >= self.maximum:
            raise LimitReached(self.what, self.maximum, self.name)


@dataclass
class ResourceService(Generic[S, R]):
    kind: str  # "schedule": how its errors name it
    label: str  # "schedule", "escalation policy": how a referrer is named
    spec_model: type[S]
    model: type[R]
    repository: ConfigRepository[R]
    check: Callable[[S], None] = lambda spec: None  # raise InvalidInput naming the field
    referrers: Callable[[str], list[str]] = no_referrers  # what refers to an id ("rule cpu")
    limit: Limit | None = None  # how many may exist, where every tick or batch reads them all

    @property
    def id_field(self) -> str:
        return self.model.ID_FIELD

    def create(self, spec: S, now: datetime) -> R:
        self.check(spec)
        if self.limit is not None:
            self.limit.check(sum(1 for _ in self.repository.all()))
        item_id = getattr(spec, self.id_field) or new_id()
        stored: R = self.model.from_spec(spec, **{self.id_field: item_id}, version=1, created_at=now, updated_at=now)
        return self.repository.create(stored)

    def page(self, limit: int, next_token: str | None) -> Page[R]:
        with checked_token(next_token):
            return self.repository.page(limit, next_token)

    def get(self, item_id: str) -> R:
        return self.repository.get(item_id)

    def update(self, item_id: str, body: Model, if_match: str | None, now: datetime) -> R:
        """The whole resource, with the version the client read (body or If-Match)."""
        fields = body.model_dump()
        stored = current_for_update(
            self.repository, self.kind, item_id, fields.get(self.id_field), fields.get("version"), if_match
        )
        spec = self.spec_model.model_validate({k: v for k, v in fields.items() if k not in SERVER_FIELDS})
        self.check(spec)
        replaced: R = self.model.from_spec(
            spec, **{self.id_field: item_id}, version=stored.version + 1, created_at=stored.created_at, updated_at=now
        )
        self.repository.replace(replaced, stored.version)
        return replaced

    def delete(self, item_id: str) -> None:
        self.repository.get(item_id)
        users = self.referrers(item_id)
        if users:
            raise Conflict(f"{self.label} {item_id!r} is used by {', '.join(users)}; remove it there first")
        self.repository.delete(item_id)
