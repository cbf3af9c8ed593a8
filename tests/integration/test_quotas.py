"""Quotas in the config table (moto): one count for every instance, a sliding hour, a TTL, and no
use granted twice when two instances race for the last one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alerting.repositories.config import TTL_ATTRIBUTE
from alerting.repositories.dynamo import from_item, key
from alerting.repositories.quotas import KIND_QUOTA, Quota, QuotaStore, Rate, RateLimiter

FIVE_AN_HOUR = Quota("channel_test", limit=5, period_seconds=3600)
T = 1_795_708_800


def stores(aws: Any, n: int) -> list[QuotaStore]:
    """``n`` stores on clients of their own, as ``n`` Lambda instances hold."""
    table = aws.env("ApiFunction")["CONFIG_TABLE"]
    return [QuotaStore(aws.client("dynamodb"), table) for _ in range(n)]


def test_uses_from_every_instance_count_toward_one_quota(aws):
    first, second = stores(aws, 2)

    waits = [(first if i % 2 else second).take(FIVE_AN_HOUR, "ops", T + i) for i in range(7)]

    assert waits == [0, 0, 0, 0, 0, 3600 - 5, 3600 - 6]
    assert first.take(FIVE_AN_HOUR, "other-channel", T + 7) == 0  # each key its own


def test_a_use_is_allowed_again_once_the_oldest_has_left_the_hour(aws):
    (store,) = stores(aws, 1)
    for i in range(5):
        assert store.take(FIVE_AN_HOUR, "ops", T + 10 * i) == 0

    assert store.take(FIVE_AN_HOUR, "ops", T + 3599) == 1
    assert store.take(FIVE_AN_HOUR, "ops", T + 3600) == 0
    assert store.take(FIVE_AN_HOUR, "ops", T + 3601) == 9  # the second use leaves at T + 3610


def test_the_item_expires_an_hour_after_the_last_use(aws):
    (store,) = stores(aws, 1)
    store.take(FIVE_AN_HOUR, "ops", T)
    store.take(FIVE_AN_HOUR, "ops", T + 60)

    table = aws.env("ApiFunction")["CONFIG_TABLE"]
    item = aws.client("dynamodb").get_item(TableName=table, Key=key(pk=KIND_QUOTA, sk="channel_test#ops"))["Item"]
    assert from_item(item)[TTL_ATTRIBUTE] == T + 60 + 3600


class RacingClient:
    """A DynamoDB client whose first ``put_item`` is preceded by another instance's use: what
    happens when two instances read the same count and both try to take the last use."""

    def __init__(self, client: Any, rival: QuotaStore) -> None:
        self._client = client
        self._rival = rival
        self.puts = 0

    def get_item(self, **params: Any) -> Any:
        return self._client.get_item(**params)

    def put_item(self, **params: Any) -> Any:
        self.puts += 1
        if self.puts == 1:
            assert self._rival.take(FIVE_AN_HOUR, "ops", T + 5) == 0
        return self._client.put_item(**params)


def test_two_instances_racing_for_the_last_use_get_it_once(aws):
    # Given four uses, and two instances that both read "four" before either writes
    first, rival = stores(aws, 2)
    for i in range(4):
        assert first.take(FIVE_AN_HOUR, "ops", T + i) == 0
    racing = RacingClient(aws.client("dynamodb"), rival)
    loser = QuotaStore(racing, aws.env("ApiFunction")["CONFIG_TABLE"])

    # When both take one: the rival's write lands first
    wait = loser.take(FIVE_AN_HOUR, "ops", T + 6)

    # Then the loser's conditional write fails, it counts again and finds the quota used up
    assert (wait, racing.puts) == (3600 - 6, 1)


# -- rates: token buckets ----------------------------------------------------------------------------

FIFTY_A_SECOND = Rate("ingest", per_second=50, burst=100)
AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


class CountingClient:
    """The DynamoDB client, counting the UpdateItems a rate's requests cost."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.updates = 0

    def update_item(self, **params: Any) -> Any:
        self.updates += 1
        return self._client.update_item(**params)


def limiters(aws: Any, n: int) -> list[RateLimiter]:
    table = aws.env("ApiFunction")["CONFIG_TABLE"]
    return [RateLimiter(aws.client("dynamodb"), table) for _ in range(n)]


def test_a_burst_is_allowed_at_once_across_instances_then_the_rate(aws):
    first, second = limiters(aws, 2)

    waits = [(first if i % 2 else second).take(FIFTY_A_SECOND, "integration#prom", AT) for i in range(101)]

    assert waits[:100] == [0.0] * 100
    assert waits[100] == pytest.approx(0.02)  # one interval until the next
    assert first.take(FIFTY_A_SECOND, "integration#other", AT) == 0.0  # each integration its own bucket
    later = AT + timedelta(seconds=1)
    assert [first.take(FIFTY_A_SECOND, "integration#prom", later) for _ in range(51)][-2:] == [0.0, pytest.approx(0.02)]


def test_a_quiet_source_costs_one_write_a_request_and_a_drawn_down_one_two(aws):
    counting = CountingClient(aws.client("dynamodb"))
    limiter = RateLimiter(counting, aws.env("ApiFunction")["CONFIG_TABLE"])

    limiter.take(FIFTY_A_SECOND, "integration#prom", AT)  # full: one write
    limiter.take(FIFTY_A_SECOND, "integration#prom", AT + timedelta(seconds=15))  # full again (Prometheus' pace)
    quiet = counting.updates
    limiter.take(FIFTY_A_SECOND, "integration#prom", AT + timedelta(seconds=15))  # owing: the first write fails
    assert (quiet, counting.updates - quiet) == (2, 2)


def test_a_refused_request_takes_nothing_and_one_write_tells_it(aws):
    counting = CountingClient(aws.client("dynamodb"))
    limiter = RateLimiter(counting, aws.env("ApiFunction")["CONFIG_TABLE"])
    one_a_second = Rate("ingest", per_second=1, burst=1)
    assert limiter.take(one_a_second, "heartbeat#nightly", AT) == 0.0

    before = counting.updates
    waits = [limiter.take(one_a_second, "heartbeat#nightly", AT + timedelta(milliseconds=ms)) for ms in (250, 500)]

    assert waits == [0.75, 0.5]  # nothing was taken by the first refusal
    assert counting.updates - before == 2


def test_a_bucket_expires_once_it_is_full_again(aws):
    (limiter,) = limiters(aws, 1)
    for _ in range(3):
        limiter.take(FIFTY_A_SECOND, "integration#prom", AT)

    table = aws.env("ApiFunction")["CONFIG_TABLE"]
    item = aws.client("dynamodb").get_item(TableName=table, Key=key(pk=KIND_QUOTA, sk="ingest#integration#prom"))
    stored = from_item(item["Item"])
    full_again = stored["tat"] / 1_000_000
    assert full_again == AT.timestamp() + 3 * 0.02
    assert full_again <= stored[TTL_ATTRIBUTE] <= AT.timestamp() + FIFTY_A_SECOND.burst * 0.02 + 1
