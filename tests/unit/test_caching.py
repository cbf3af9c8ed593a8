"""Warm-invocation caches keyed by the config table's write generations: reused while the
generation stands, reloaded the moment it moves, whatever the clock says."""

from __future__ import annotations

from alerting.caching import Generations, VersionedCache, VersionedManyCache


def test_generations_are_read_once_per_refresh_and_missing_kinds_read_zero():
    reads: list[int] = []
    counters = {"silence": 3}

    def read() -> dict[str, int]:
        reads.append(1)
        return dict(counters)

    seen = Generations(read)
    assert seen.of("silence") == 0  # nothing read yet
    seen.refresh()
    counters["silence"] = 4  # a write after the batch began: seen at the next refresh
    assert (seen.of("silence"), seen.of("channel"), len(reads)) == (3, 0, 1)
    seen.refresh()
    assert seen.watch("silence")() == 4


def test_versioned_cache_reloads_exactly_when_the_version_moves():
    version = [0]
    loads: list[int] = []
    get = VersionedCache(lambda: loads.append(version[0]) or len(loads), lambda: version[0])
    assert (get(), get(), get()) == (1, 1, 1)
    version[0] = 1
    assert (get(), get()) == (2, 2)
    assert loads == [0, 1]


def test_versioned_many_cache_fetches_missing_keys_in_one_call_and_forgets_all_on_a_new_version():
    version = [0]
    calls: list[list[str]] = []

    def load(keys: list[str]) -> dict[str, str]:
        calls.append(keys)
        return {k: k.upper() for k in keys if k != "gone"}

    get = VersionedManyCache(load, lambda: version[0])
    assert get(["a", "b", "gone"]) == {"a": "A", "b": "B"}
    assert get(["a", "c"]) == {"a": "A", "c": "C"}
    version[0] = 1
    assert get(["a", "c"]) == {"a": "A", "c": "C"}
    assert calls == [["a", "b", "gone"], ["c"], ["a", "c"]]
