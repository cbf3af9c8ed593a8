"""Heartbeat sweep benchmark (`make bench`): what one tick's heartbeat pass costs with 10,000
heartbeats, when none is due and when 100 are.

The real pass (`evaluator.sweep.HeartbeatSweep`, the repository, the alert lifecycle) over the
counting in-memory DynamoDB client (`bench.fake_dynamodb`: request counts, not moto's speed), so
the figures are requests per sweep and the pass's own time (the time spent inside the fake client
left out: it scans its whole table for a Query, where DynamoDB reads one partition). A sweep reads
the minutes since its cursor and the heartbeats whose due entries are there: its cost follows
what is due, not how many heartbeats exist.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from alerting.lifecycle import AlertLifecycle
from alerting.models.heartbeats import Heartbeat
from alerting.models.integrations import key_hash
from alerting.models.reports import EvaluationSummary
from alerting.repositories.alerts import AlertRepository
from alerting.repositories.heartbeats import HeartbeatRepository
from alerting.repositories.state import StateRepository
from alerting.sources.heartbeats import watched_from
from bench.fake_dynamodb import FakeDynamoDB
from evaluator.sweep import HeartbeatSweep

T0 = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
HEARTBEATS = 10_000
RUNS = 3


class Timed:
    """The fake client, with the time spent in its calls added up (so it can be left out)."""

    def __init__(self, client: FakeDynamoDB) -> None:
        self.client = client
        self.seconds = 0.0

    def __getattr__(self, name: str) -> Any:
        call = getattr(self.client, name)

        def timed(**params: Any) -> Any:
            started = time.perf_counter()
            try:
                return call(**params)
            finally:
                self.seconds += time.perf_counter() - started

        return timed


def stack(due: int) -> tuple[Timed, HeartbeatSweep]:
    """10,000 heartbeats created at T0: ``due`` of them due at T0 + 2 min, the rest in an hour."""
    dynamodb = Timed(FakeDynamoDB.from_template())
    heartbeats = HeartbeatRepository(dynamodb, "ConfigTable")
    for i in range(HEARTBEATS):
        period = 60 if i < due else 3600
        heartbeat = Heartbeat(
            heartbeat_id=f"job-{i}", name=f"Job {i}", period_seconds=period, grace_seconds=60, key_hash=key_hash(str(i))
        )
        heartbeats.create(heartbeat, watched_from(heartbeat, T0))
    heartbeats.save_swept(T0 + MINUTE)  # the sweep of the minute before
    lifecycle = AlertLifecycle(
        AlertRepository(dynamodb, "AlertsTable", "AlertLogTable"), StateRepository(dynamodb, "StateTable")
    )
    return dynamodb, HeartbeatSweep(heartbeats, lifecycle)


def sweep(due: int) -> tuple[float, Counter[str], EvaluationSummary]:
    """One sweep at T0 + 2 min over a fresh stack: its own time, its requests (and capacity
    units, as `read_units` / `write_units`) and its summary."""
    dynamodb, beats = stack(due)
    fake = dynamodb.client
    before, in_client = Counter(fake.calls), dynamodb.seconds
    units = fake.read_units, fake.write_units
    summary = EvaluationSummary(tick=T0 + 2 * MINUTE)
    started = time.perf_counter()
    beats.run(summary.tick, summary)
    took = time.perf_counter() - started - (dynamodb.seconds - in_client)
    calls = Counter(fake.calls) - before
    calls.update(read_units=fake.read_units - units[0], write_units=fake.write_units - units[1])
    return took, calls, summary


def row(due: int) -> str:
    runs = [sweep(due) for _ in range(RUNS)]
    took = statistics.median(t for t, _, _ in runs)
    _, calls, summary = runs[0]
    units = calls.pop("read_units", 0), calls.pop("write_units", 0)
    requests = ", ".join(f"{name} {count}" for name, count in sorted(calls.items()))
    return (
        f"  {due:>3} due: {calls.total()} requests ({requests}; {units[0]} RCU, {units[1]} WCU), "
        f"{summary.heartbeats_fired} alerts opened, {took * 1000:.1f} ms of its own (median of {RUNS})"
    )


def main() -> None:
    print(f"heartbeat sweep, {HEARTBEATS:,} heartbeats (one tick's pass: requests and time)")
    print(row(0))
    print(row(100))


if __name__ == "__main__":
    main()
