"""Scale benchmark (`make bench`): a full tick with realistic latency, and a 100k-rule fan-out.

1. A full tick at 1k and 10k rules: the real Evaluator and repositories, a CloudWatch stand-in
   that answers GetMetricData after ``GMD_LATENCY`` seconds a call, and the in-memory DynamoDB
   (key schemas and indexes from template.yaml) answering after ``DDB_LATENCY`` a request, 20 %
   of the series breaching: the tick where all of them fire at once (the worst burst). Wall
   time, calls, read/write units (from the bytes read and written: 4 KB a consistent read unit,
   1 KB a write unit, twice in a transaction) and peak Python memory (a second, traced tick).
   Not moto: in process it needs about a minute for one 1k-rule tick, which measures moto.
2. A 100k-rule tick fanned out: the dispatcher's real run over 100k stored rules (an in-memory
   DynamoDB: moto would take minutes to load them), the shards it plans, and one shard of the
   budget's size evaluated for real with the latency above; the critical path is the dispatch
   plus as many shard rounds as the worker concurrency needs.
Nothing is asserted; figures go to docs/scaling.md with the machine they came from.
"""

from __future__ import annotations

import math
import time
import tracemalloc
from datetime import timedelta
from typing import Any

from alerting.settings import EvaluatorSettings
from alerting.sharding import Shard
from bench.evaluator import T0, bench_evaluator, rule, store_rules
from bench.fake_cloudwatch import FakeCloudWatch
from bench.fake_dynamodb import FakeDynamoDB

GMD_LATENCY = 0.25  # seconds per GetMetricData call (500 queries, one page): a typical p50
LIST_LATENCY = 0.08
DDB_LATENCY = 0.008  # seconds per DynamoDB request in the same region
WORKER_CONCURRENCY = 16  # the shard queue's MaximumConcurrency in template.yaml
BUDGET = 10_000  # ShardBudgetSeries's default
IO_THREADS = EvaluatorSettings.model_fields["io_threads"].default  # the handler's writes at once


class SlowCloudWatch(FakeCloudWatch):
    """The fake, answering after a realistic round trip."""

    slow = True  # off while warming up: only the measured tick waits

    def get_metric_data(self, **request: Any) -> dict[str, Any]:
        time.sleep(GMD_LATENCY if self.slow else 0)
        return super().get_metric_data(**request)

    def list_metrics(self, **request: Any) -> dict[str, Any]:
        time.sleep(LIST_LATENCY if self.slow else 0)
        return super().list_metrics(**request)


class SlowDynamoDB(FakeDynamoDB):
    """The in-memory DynamoDB, each request answered after a same-region round trip."""

    slow = True

    def __getattribute__(self, name: str) -> Any:
        attribute = super().__getattribute__(name)
        if name in ("query", "scan", "get_item", "batch_get_item", "put_item", "delete_item", "transact_write_items"):
            time.sleep(DDB_LATENCY if super().__getattribute__("slow") else 0)
        return attribute


def full_tick(count: int) -> dict[str, Any]:
    """The third tick (20 % breaching since the first: M of N = 3 of 5 fires them now)."""
    cloudwatch = SlowCloudWatch()
    for i in range(0, count, 5):
        cloudwatch.values[f"h{i}"] = 95.0
    memory = SlowDynamoDB.from_template()
    store_rules(memory, [rule(i) for i in range(count)])
    evaluator = bench_evaluator(memory, cloudwatch, io_threads=IO_THREADS)
    memory.slow = cloudwatch.slow = False
    for minute in range(2):
        evaluator.run(T0 + timedelta(minutes=minute))
    memory.slow = cloudwatch.slow = True
    memory.calls.clear()
    memory.read_units = memory.write_units = 0
    started = time.perf_counter()
    summary = evaluator.run(T0 + timedelta(minutes=2))
    wall = time.perf_counter() - started
    row: dict[str, Any] = {
        "rules": count,
        "wall_s": wall,
        "series_per_s": summary.series / wall,
        "fired": summary.alerts_fired,
        "gmd_calls": summary.get_metric_data_calls,
        "ddb_requests": memory.reads() + memory.writes(),
        "read_units": memory.read_units,
        "write_units": memory.write_units,
    }
    row["peak_mib"] = None
    if count <= 1_000:  # the next tick again, traced, for its memory (tracing makes a 10k tick crawl)
        tracemalloc.start()
        evaluator.run(T0 + timedelta(minutes=3))
        row["peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return row


class TimedDynamoDB(FakeDynamoDB):
    """The in-memory DynamoDB, keeping the time it spends itself (its pages are a scan of the
    whole table each), so the dispatcher's own time can be told from the stand-in's."""

    spent = 0.0

    def query(self, **params: Any) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            return super().query(**params)
        finally:
            TimedDynamoDB.spent += time.perf_counter() - started


def fan_out(count: int, budget: int = BUDGET) -> dict[str, Any]:
    """The dispatcher over `count` rules, then one full shard, for real; the rest by arithmetic."""
    dynamodb = TimedDynamoDB.from_template()
    rules = [rule(i) for i in range(count)]
    store_rules(dynamodb, rules)
    sent: list[Shard] = []

    class Capture:
        calls = 0

        def send(self, tick: Any, shards: list[Shard]) -> None:
            Capture.calls += math.ceil(len(shards) / 10)  # SendMessageBatch: ten a call
            sent.extend(shards)

    dispatcher = bench_evaluator(dynamodb, FakeCloudWatch(), shards=Capture(), shard_budget=budget)
    TimedDynamoDB.spent, started = 0.0, time.perf_counter()
    dispatcher.run(T0)  # a container's first tick reads whole rules (it may evaluate them itself)
    first_dispatch, first_own = time.perf_counter() - started, time.perf_counter() - started - TimedDynamoDB.spent
    sent.clear()
    Capture.calls = 0
    TimedDynamoDB.spent, started = 0.0, time.perf_counter()
    dispatcher.run(T0 + timedelta(minutes=1))  # then it plans from the rules' items alone
    dispatch, own = time.perf_counter() - started, time.perf_counter() - started - TimedDynamoDB.spent

    # One shard as big as the budget allows, evaluated by a worker with realistic CloudWatch latency.
    biggest = max(sent, key=lambda s: len(s.due))
    cloudwatch = SlowCloudWatch()
    worker = bench_evaluator(dynamodb, cloudwatch, io_threads=IO_THREADS)
    started = time.perf_counter()
    summary = worker.run_shard(T0, biggest)
    shard_time = time.perf_counter() - started
    rounds = math.ceil(len(sent) / WORKER_CONCURRENCY)
    gmd_per_shard = summary.get_metric_data_calls
    return {
        "rules": count,
        "shards": len(sent),
        "largest_shard": len(biggest.due),
        "dispatch_s": dispatch,
        "first_dispatch_s": first_dispatch,
        "dispatch_own_s": own,
        "first_dispatch_own_s": first_own,
        "send_calls": Capture.calls,
        "shard_s": shard_time,
        "rounds": rounds,
        "critical_path_s": dispatch + rounds * shard_time,
        "gmd_calls": gmd_per_shard * len(sent),
        "gmd_per_s_peak": min(len(sent), WORKER_CONCURRENCY) * gmd_per_shard / shard_time,
    }


def main() -> None:
    print(
        f"\nfull tick: GetMetricData {GMD_LATENCY * 1000:.0f} ms a call, "
        f"DynamoDB {DDB_LATENCY * 1000:.0f} ms a request, 20 % of the series firing in this tick"
    )
    print(
        f"  {'rules':>7}{'wall':>8}{'series/s':>10}{'fired':>7}{'GMD':>5}{'DDB req':>9}{'RCU':>7}{'WCU':>7}{'MiB':>7}"
    )
    for count in (1_000, 10_000):
        r = full_tick(count)
        print(
            f"  {r['rules']:>7}{r['wall_s']:>7.1f}s{r['series_per_s']:>10,.0f}{r['fired']:>7}{r['gmd_calls']:>5}"
            f"{r['ddb_requests']:>9}{r['read_units']:>7}{r['write_units']:>7}"
            + (f"{r['peak_mib']:>7.1f}" if r["peak_mib"] is not None else f"{'-':>7}")
        )
    r = fan_out(100_000)
    print(f"\nfan-out: 100,000 rules, budget {BUDGET} series a shard, {WORKER_CONCURRENCY} workers at once")
    print(
        f"  shards planned {r['shards']} (largest {r['largest_shard']} rules), SendMessageBatch calls {r['send_calls']}"
    )
    print(
        f"  dispatcher (plan 100k rules from their items, send) {r['dispatch_s']:6.1f} s"
        f" ({r['dispatch_own_s']:.1f} s of it ours, the rest the in-memory table's)"
    )
    print(
        f"  a container's first dispatch (whole rules)          {r['first_dispatch_s']:6.1f} s"
        f" ({r['first_dispatch_own_s']:.1f} s ours)"
    )
    print(f"  one full shard (real, latency as above)    {r['shard_s']:6.1f} s")
    print(f"  rounds of {WORKER_CONCURRENCY} shards                         {r['rounds']:6d}")
    print(f"  critical path (dispatch + rounds x shard)  {r['critical_path_s']:6.1f} s of the 60 s tick")
    print(f"  GetMetricData calls a tick {r['gmd_calls']}, peak {r['gmd_per_s_peak']:.1f}/s of the account's 50/s")


if __name__ == "__main__":
    main()
