"""Quotas over a sliding window: when the next use is allowed."""

from __future__ import annotations

import pytest

from alerting.repositories.quotas import Quota, Rate, rate_wait, wait_for

FIVE_AN_HOUR = Quota("test", limit=5, period_seconds=3600)


@pytest.mark.parametrize(
    ("uses", "now", "wait"),
    [
        ([], 0, 0),
        ([0, 10, 20, 30], 40, 0),  # the fifth
        ([0, 10, 20, 30, 40], 50, 3550),  # the sixth waits for the first to leave the hour
        ([0, 10, 20, 30, 40], 3599, 1),
        ([0, 10, 20, 30, 40], 3600, 0),  # an hour after the first: it no longer counts
        ([10, 20, 30, 40, 3600], 3601, 9),  # the window slides: now the second leaves first
        ([40, 0, 30, 10, 20], 50, 3550),  # in any order
        ([0, 0, 0, 0, 0, 0, 0], 3599, 1),  # more than the limit stored (a limit lowered since)
    ],
)
def test_wait_for_counts_the_uses_of_the_last_period(uses: list[int], now: int, wait: int) -> None:
    assert wait_for(uses, now, FIVE_AN_HOUR) == wait


# -- rates: a token bucket kept as GCRA keeps it (the time it is full again, `tat`) -----------------

FIFTY_A_SECOND = Rate("ingest", per_second=50, burst=100)
S = 1_000_000  # microseconds


def test_a_rate_costs_each_request_its_interval_and_tolerates_a_burst_but_one() -> None:
    assert FIFTY_A_SECOND.interval == 20_000
    assert FIFTY_A_SECOND.tolerance == 99 * 20_000
    assert Rate("odd", per_second=3, burst=1).interval == 333_334  # rounded up: never faster than asked
    assert Rate("odd", per_second=3, burst=1).tolerance == 0


@pytest.mark.parametrize(
    ("tat", "now", "wait"),
    [
        (None, 10 * S, 0),  # never used: full
        (9 * S, 10 * S, 0),  # full again before now
        (10 * S + 99 * 20_000, 10 * S, 0),  # 99 requests owed: the 100th of the burst goes
        (10 * S + 100 * 20_000, 10 * S, 20_000),  # 100 owed: wait for one interval to pass
        (10 * S + 150 * 20_000, 10 * S, 51 * 20_000),
    ],
)
def test_rate_wait_is_how_far_the_debt_runs_past_the_tolerance(tat: int | None, now: int, wait: int) -> None:
    assert rate_wait(tat, now, FIFTY_A_SECOND) == wait


def test_a_steady_rate_is_allowed_forever_and_a_burst_once() -> None:
    """Replaying the rule a request at a time (as the table's conditional writes apply it)."""

    def allowed(times: list[int]) -> int:
        tat: int | None = None
        count = 0
        for now in times:
            if rate_wait(tat, now, FIFTY_A_SECOND) == 0:
                tat = max(tat or now, now) + FIFTY_A_SECOND.interval
                count += 1
        return count

    assert allowed([0] * 150) == 100  # the burst at once, no more
    assert allowed([i * 20_000 for i in range(5_000)]) == 5_000  # 50 a second, for 100 s
    assert allowed([i * 10_000 for i in range(1_000)]) == 599  # 100 a second for 9.99 s: the burst, then 50 a second
