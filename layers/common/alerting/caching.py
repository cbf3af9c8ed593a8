"""Warm-invocation caches that can never hide a change: each is keyed by a version (the config
table's write generations, read once per batch) and reloads when the version moves."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

T = TypeVar("T")
K = TypeVar("K")


class Generations:
    """The config table's write counters as of the last ``refresh`` (one read, at the start of
    each batch): what the caches compare against, with no read of their own."""

    def __init__(self, read: Callable[[], dict[str, int]]) -> None:
        self._read = read  # ConfigGenerations.read
        self._seen: dict[str, int] = {}

    def refresh(self) -> None:
        self._seen = self._read()

    def of(self, kind: str) -> int:
        return self._seen.get(kind, 0)

    def watch(self, kind: str) -> Callable[[], int]:
        """What a cache of ``kind`` compares against."""
        return lambda: self.of(kind)


class VersionedCache(Generic[T]):
    """``load()``'s result, reused while ``version()`` is what it was at the load."""

    def __init__(self, load: Callable[[], T], version: Callable[[], Hashable]) -> None:
        self._load = load
        self._version = version
        self._held: list[tuple[Hashable, T]] = []

    def __call__(self) -> T:
        current = self._version()
        if not self._held or self._held[0][0] != current:
            self._held[:] = [(current, self._load())]
        return self._held[0][1]


class VersionedManyCache(Generic[K, T]):
    """``load(keys)`` for the keys not held, in one call; every key is forgotten when
    ``version()`` moves. A key ``load`` does not return (deleted) is asked again next time."""

    def __init__(self, load: Callable[[list[K]], dict[K, T]], version: Callable[[], Hashable]) -> None:
        self._load = load
        self._version = version
        self._held: dict[K, T] = {}
        self._held_at: Any = object()

    def __call__(self, keys: list[K]) -> dict[K, T]:
        current = self._version()
        if current != self._held_at:
            self._held, self._held_at = {}, current
        missing = [k for k in dict.fromkeys(keys) if k not in self._held]
        if missing:
            self._held.update(self._load(missing))
        return {k: self._held[k] for k in keys if k in self._held}
