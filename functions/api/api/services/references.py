"""What configuration refers to what, against the stored configuration: a reference must exist
when it is saved (400 naming the field), and nothing is deleted while something still refers
to it (409 naming the referrers). The rules of it are `alerting.references`, which rules as
code (`make rules-plan`) applies to the same table."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from alerting import references
from alerting.kinds import Kind
from alerting.repositories.config import ConfigRepository


@dataclass
class References:
    repositories: Mapping[str, ConfigRepository[Any]]  # kind name → its repository, for every kind

    def exists(self, kind: Kind[Any], item_id: str) -> bool:
        return self.repositories[kind.name].find(item_id) is not None

    def check(self, kind: Kind[Any], spec: Any) -> None:
        """InvalidInput naming the field of the first reference of ``spec`` that does not exist."""
        references.check(kind, spec, self.exists)

    def users(self, kind: Kind[Any], item_id: str) -> list[str]:
        """What refers to ``item_id`` ("rule cpu", "escalation policy web"): one read of each
        kind that may (none for a kind nothing refers to)."""
        return references.users(kind, item_id, self._items(kind.referred_by))

    def _items(self, kinds: tuple[Kind[Any], ...]) -> Iterator[tuple[Kind[Any], str, Any]]:
        for kind in kinds:
            for item in self.repositories[kind.name].all():
                yield kind, kind.item_id(item), item
