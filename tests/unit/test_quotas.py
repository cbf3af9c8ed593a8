"""Quotas over a sliding window: when the next use is allowed."""

from __future__ import annotations

import pytest

from alerting.repositories.quotas import Quota, wait_for

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
