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
