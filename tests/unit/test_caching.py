"""The warm-invocation cache: reused within its age, reloaded after."""

from __future__ import annotations

from alerting.caching import ttl_cache


def test_ttl_cache_reloads_only_after_its_age():
    now = [0.0]
    loads: list[float] = []
    get = ttl_cache(lambda: loads.append(now[0]) or len(loads), 15.0, clock=lambda: now[0])
    assert (get(), get()) == (1, 1)
    now[0] = 14.9
    assert get() == 1
    now[0] = 15.0
    assert get() == 2 and loads == [0.0, 15.0]
