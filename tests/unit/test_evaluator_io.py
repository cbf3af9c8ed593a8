"""The tick's writes go out several at once: each changed series' transaction is independent."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from alerting.kinds import RULE
from alerting.models.rules import Rule
from alerting.repositories.config import ConfigRepository
from bench.evaluator import T0, bench_evaluator, rule, store_rules
from bench.fake_cloudwatch import FakeCloudWatch
from bench.fake_dynamodb import FakeDynamoDB


class CountingRules(ConfigRepository[Rule]):
    """The rules repository, noting each whole read ("rules") and projected one ("plans")."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.reads: list[str] = []

    def all(self) -> Any:
        self.reads.append("rules")
        return super().all()

    def project(self, attributes: Any) -> Any:
        self.reads.append("plans")
        return super().project(attributes)


class Shards:
    def __init__(self) -> None:
        self.sent: list[int] = []

    def send(self, tick: Any, shards: list[Any]) -> None:
        self.sent.append(len(shards))


class OverlappingDynamoDB(FakeDynamoDB):
    """The first two transactions each wait until both are in flight: a tick that writes one
    after another never gets past the first."""

    armed = False

    def transact_write_items(self, **params: Any) -> dict[str, Any]:
        if self.armed:
            with self.lock:
                self.transactions += 1
                first_two = self.transactions <= 2
            if first_two:
                self.both_in_flight.wait()
        return super().transact_write_items(**params)


def test_a_ticks_changed_series_are_written_at_once_and_all_counted():
    dynamodb = OverlappingDynamoDB.from_template()
    dynamodb.lock, dynamodb.transactions = threading.Lock(), 0
    dynamodb.both_in_flight = threading.Barrier(2, timeout=10)
    store_rules(dynamodb, [rule(i, breaches_to_fire=1, out_of=1) for i in range(4)])
    cloudwatch = FakeCloudWatch()
    cloudwatch.values.update({f"h{i}": 95.0 for i in range(4)})
    evaluator = bench_evaluator(dynamodb, cloudwatch, io_threads=4)
    dynamodb.armed = True
    summary = evaluator.run(T0 + timedelta(minutes=1))
    assert (summary.alerts_fired, summary.state_writes, summary.errors) == (4, 4, 0)
    assert dynamodb.transactions == 4


def test_a_dispatcher_that_fanned_out_plans_the_next_tick_from_the_items_alone():
    """Building 100k rule models took most of the dispatcher's 23 s: once a tick has fanned
    out, the next ones plan from a projected Query of the items; when the due series fit one
    invocation again, it reads whole rules and evaluates them itself."""
    dynamodb = FakeDynamoDB.from_template()
    store_rules(dynamodb, [rule(i) for i in range(30)])
    shards = Shards()
    evaluator = bench_evaluator(dynamodb, FakeCloudWatch(), shards=shards, shard_budget=10)
    rules = evaluator.rules = CountingRules(dynamodb, "ConfigTable", RULE)
    for minute in range(3):
        evaluator.run(T0 + timedelta(minutes=minute))
    evaluator.shard_budget = 100  # the deployment's budget raised: one invocation again
    evaluator.run(T0 + timedelta(minutes=3))
    assert rules.reads == ["rules", "plans", "plans", "plans", "rules"]
    assert shards.sent == [3, 3, 3]


def test_a_large_deployment_of_five_minute_rules_plans_every_tick_from_the_items():
    """The enabled rules exceed the budget: every tick after the first plans from the items,
    the due minute fans out, and a minute with nothing due reads nothing more."""
    dynamodb = FakeDynamoDB.from_template()
    store_rules(dynamodb, [rule(i, evaluation_interval_seconds=300) for i in range(30)])
    shards = Shards()
    evaluator = bench_evaluator(dynamodb, FakeCloudWatch(), shards=shards, shard_budget=10)
    rules = evaluator.rules = CountingRules(dynamodb, "ConfigTable", RULE)
    for minute in range(6):  # T0 is a multiple of five minutes: minutes 0 and 5 are due
        evaluator.run(T0 + timedelta(minutes=minute))
    assert rules.reads == ["rules", "plans", "plans", "plans", "plans", "plans"]
    assert shards.sent == [3, 3]
