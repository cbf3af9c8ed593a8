"""The tick's writes go out several at once: each changed series' transaction is independent."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from bench.evaluator import T0, FakeCloudWatch, bench_evaluator, rule, store_rules
from bench.fake_dynamodb import FakeDynamoDB


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
