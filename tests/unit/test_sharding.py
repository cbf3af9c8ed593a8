"""Splitting a tick into shards: stable buckets, every bucket and every due rule exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerting.errors import MalformedRecord
from alerting.sharding import BUCKETS, Shard, bucket_of, parse_shard_message, plan, shard_message, weight
from tests.factories import condition, make_rule, metric


def rules(count: int, **overrides: object) -> list:
    return [make_rule(rule_id=f"rule-{i:05d}", **overrides) for i in range(count)]


def test_bucket_of_is_the_same_in_every_process_and_release():
    # CRC-32, not hash(): these values are the contract with every state item already stored
    assert [bucket_of(r) for r in ("high-cpu-usage", "a", "rule-00001")] == [
        bucket_of("high-cpu-usage"),
        0xE8B7BE43 % BUCKETS,
        bucket_of("rule-00001"),
    ]
    assert bucket_of("a") == 67
    assert all(0 <= bucket_of(f"r{i}") < BUCKETS for i in range(1000))


@pytest.mark.parametrize(("count", "budget"), [(0, 10), (1, 10), (999, 100), (5000, 700), (300, 1)])
def test_plan_covers_every_bucket_once_and_every_due_rule_once_within_the_budget(count, budget):
    due = rules(count)
    shards = plan(due, budget)
    buckets = [b for s in shards for b in s.buckets]
    assert buckets == list(range(BUCKETS))  # contiguous, each exactly once
    assigned = [r for s in shards for r in s.due]
    assert sorted(assigned) == sorted(r.rule_id for r in due)  # each due rule exactly once
    for shard in shards:
        assert all(bucket_of(r) in shard.buckets for r in shard.due)
        # within budget, unless a single bucket alone exceeds it
        assert len(shard.due) <= budget or len(shard.buckets) == 1


def test_plan_is_stable_for_the_same_rules():
    due = rules(2000)
    assert plan(due, 300) == plan(list(reversed(due)), 300)


def test_plan_counts_a_fleet_rule_as_its_max_series():
    fleet = make_rule(
        rule_id="fleet", max_series=400, conditions=[condition(metric=metric(dimensions={"InstanceId": "*"}))]
    )
    assert weight(fleet) == 400 and weight(make_rule()) == 1
    shards = plan([fleet, *rules(300)], 500)
    (home,) = [s for s in shards if "fleet" in s.due]
    assert len(home.due) <= 101  # the fleet rule leaves room for at most 100 more series


def test_a_shard_message_stays_within_sqs_size_however_long_the_ids():
    due = [make_rule(rule_id=f"{'x' * 57}-{i:05d}") for i in range(20_000)]  # 63-character ids
    for shard in plan(due, 100_000):
        assert len(shard_message(datetime(2026, 12, 2, tzinfo=UTC), shard).encode()) < 256 * 1024


def test_shard_message_round_trips_and_a_bad_one_is_malformed():
    tick = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    shard = Shard(3, (10, 11), ("a", "b"))
    assert parse_shard_message(shard_message(tick, shard)) == (tick, shard)
    with pytest.raises(MalformedRecord):
        parse_shard_message('{"index": 1}')


def test_a_shard_reads_its_occupied_buckets_and_one_empty_bucket_in_turn():
    from evaluator.service import buckets_to_read

    shard = plan(rules(3), 1_000)[0]
    occupied = sorted({bucket_of(r) for r in shard.due})
    tick = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    turn = int(tick.timestamp()) // 60 % BUCKETS
    assert buckets_to_read(shard, tick) == sorted({*occupied, turn})
    # over 256 ticks every bucket is read at least once
    seen = {b for minute in range(BUCKETS) for b in buckets_to_read(shard, tick + timedelta(minutes=minute))}
    assert seen == set(range(BUCKETS))
