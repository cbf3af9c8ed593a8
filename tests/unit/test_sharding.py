"""Splitting a tick into shards: stable buckets, every bucket and every due rule exactly once."""

from __future__ import annotations

import json
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


TICK = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
LATER = TICK + timedelta(seconds=20)  # the worker's clock


def test_shard_message_round_trips():
    shard = Shard(3, tuple(range(66, 106)), ("a", "rule-00001"))  # buckets 67 and 105
    assert parse_shard_message(shard_message(TICK, shard), LATER) == (TICK, shard)
    assert parse_shard_message(shard_message(TICK, shard), TICK) == (TICK, shard)  # a tick is not in its own future


def test_every_planned_shard_passes_the_workers_check():
    for shard in plan(rules(3000), 100):
        assert parse_shard_message(shard_message(TICK, shard), LATER) == (TICK, shard)


def _message(**fields: object) -> str:
    good: dict[str, object] = {"tick": "2026-12-02T09:00:00Z", "index": 3, "buckets": [67, 68], "due": ["a"]}
    return json.dumps({k: v for k, v in {**good, **fields}.items() if v is not None})


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{"index": 1}', "tick: Field required"),
        ("[]", "Input should be an object"),
        ("not json", "Invalid JSON"),
        ("[" * 100_000 + "]" * 100_000, "Invalid JSON: recursion limit exceeded"),
        (_message(index="3"), "index: Input should be a valid integer"),
        (_message(index=1.5), "index: Input should be a valid integer"),
        (_message(index=-1), "index: Input should be greater than or equal to 0"),
        (_message(index=0).replace('"index": 0', '"index": ' + "9" * 5000), "Invalid JSON: number out of range"),
        (_message(buckets=[67, 256]), "buckets.1: Input should be less than 256"),
        (_message(buckets=[]), "buckets: List should have at least 1 item"),
        (_message(buckets=[67, 69]), "buckets: not a contiguous ascending run"),
        (_message(buckets=[68, 67]), "buckets: not a contiguous ascending run"),
        (_message(due=["a", "a"]), "due: an id appears twice"),
        (_message(due=["rule-00001"]), "due: an id outside the shard's buckets"),  # bucket 105
        (_message(due=["../etc"]), "due.0: String should match pattern"),
        (_message(due=[7]), "due.0: Input should be a valid string"),
        (_message(tick="2026-12-02T09:00:30Z"), "tick: not a whole minute"),
        (_message(tick="2026-12-02T09:01:00Z"), "its tick is in the future"),
        (_message(tick="9999-12-31T23:59:00Z"), "tick: must be from"),
        (_message(tick="0001-01-01T00:00:00+01:00"), "tick: is out of range once converted to UTC"),
        (_message(tick=1796643720), "tick: Input should be a valid datetime"),
        (_message(extra="secret-value", **{"sneaky-name": 1}), "a field it should not have"),
        (_message(due=["a" * 60] * 5000), "larger than 262144 bytes"),
    ],
)
def test_an_invalid_shard_message_is_malformed_and_says_why_without_its_content(body, reason):
    with pytest.raises(MalformedRecord) as caught:
        parse_shard_message(body, LATER)

    assert reason in str(caught.value)
    assert "secret-value" not in str(caught.value) and "sneaky-name" not in str(caught.value)


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


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"enabled": False, "evaluation_interval_seconds": 300},
        {"conditions": [condition(metric=metric(dimensions={"InstanceId": "*"}))], "max_series": 400},
        {
            "conditions": [
                {
                    "expression": "100 * e / r",
                    "metrics": {
                        "e": metric("Errors", dimensions={"Service": "*"}),
                        "r": metric("Requests", dimensions={"Service": "*"}),
                    },
                    "operator": "gt",
                    "threshold": 5,
                }
            ],
            "max_series": 50,
        },
    ],
    ids=["single", "disabled-5-minutes", "fleet", "fleet-metric-math"],
)
def test_a_rule_plan_read_from_the_stored_item_says_what_the_rule_does(overrides):
    """The dispatcher plans from the items alone: what it reads must agree with the rule."""
    from alerting.repositories.dynamo import to_item
    from alerting.sharding import RulePlan

    rule = make_rule(**overrides)
    stored = RulePlan.from_item(to_item(rule.model_dump(mode="json")))
    assert stored == RulePlan(rule.rule_id, rule.enabled, rule.evaluation_interval_seconds, weight(rule))
    assert plan([stored], 10) == plan([rule], 10)


def test_a_rule_item_written_before_a_field_existed_plans_with_the_fields_default():
    """A fleet rule saved before `max_series` existed loads with 500; planning reads it so too."""
    from alerting.repositories.dynamo import to_item
    from alerting.sharding import RulePlan

    fleet = make_rule(conditions=[condition(metric=metric(dimensions={"InstanceId": "*"}))])
    item = to_item({k: v for k, v in fleet.model_dump(mode="json").items() if k != "max_series"})
    assert RulePlan.from_item(item).weight == 500 == weight(fleet)
