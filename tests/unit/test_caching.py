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


def test_ttl_cache_many_fetches_only_missing_or_stale_keys_in_one_call():
    from alerting.caching import ttl_cache_many

    now = [0.0]
    calls: list[list[str]] = []

    def load(keys: list[str]) -> dict[str, str]:
        calls.append(keys)
        return {k: k.upper() for k in keys if k != "gone"}

    get = ttl_cache_many(load, 30, clock=lambda: now[0])
    assert get(["a", "b", "gone"]) == {"a": "A", "b": "B"}
    assert get(["a", "c"]) == {"a": "A", "c": "C"}
    now[0] = 31
    assert get(["a", "c"]) == {"a": "A", "c": "C"}
    assert calls == [["a", "b", "gone"], ["c"], ["a", "c"]]
