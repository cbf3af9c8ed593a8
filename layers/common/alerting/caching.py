"""Warm-invocation caches with a bounded age: what a container may reuse between invocations."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def ttl_cache(load: Callable[[], T], max_age: float, clock: Callable[[], float] = time.monotonic) -> Callable[[], T]:
    """``load()``'s result, reused for ``max_age`` seconds."""
    held: list[tuple[float, T]] = []

    def get() -> T:
        now = clock()
        if not held or now - held[0][0] >= max_age:
            held[:] = [(now, load())]
        return held[0][1]

    return get


K = TypeVar("K")


def ttl_cache_many(
    load: Callable[[list[K]], dict[K, T]], max_age: float, clock: Callable[[], float] = time.monotonic
) -> Callable[[list[K]], dict[K, T]]:
    """``load(keys)`` for the keys not fetched within ``max_age`` seconds, in one call; the rest
    from memory. A key ``load`` does not return (deleted) is asked again next time."""
    held: dict[K, tuple[float, T]] = {}

    def get(keys: list[K]) -> dict[K, T]:
        now = clock()
        stale = [k for k in dict.fromkeys(keys) if k not in held or now - held[k][0] >= max_age]
        if stale:
            for key in stale:
                held.pop(key, None)
            held.update({k: (now, v) for k, v in load(stale).items()})
        return {k: held[k][1] for k in keys if k in held}

    return get
