"""One tick of the evaluator: rules in, metric values fetched once, decisions committed."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import NamedTuple, Protocol, TypeVar

from alerting.discovery import Fleet, MetricDirectory, fleet
from alerting.errors import ConcurrentUpdate, MetricsUnavailable
from alerting.evaluation import Decision, Observation, Outcome, evaluate_series, is_due
from alerting.lifecycle import AlertLifecycle
from alerting.metrics import MetricQuery, observe, queries_for
from alerting.models.alerts import ConditionValue, SeriesState
from alerting.models.common import epoch, floor_minute
from alerting.models.policies import EscalationPolicy
from alerting.models.reports import EvaluationSummary
from alerting.models.rules import Rule
from alerting.models.silences import Silence
from alerting.repositories.alerts import AlertRepository
from alerting.repositories.config import BUCKETS_BACKFILLED, ConfigRepository, RunLog
from alerting.repositories.state import StateRepository
from alerting.routing import Router
from alerting.sharding import BUCKETS, PLAN_ATTRIBUTES, RulePlan, Shard, bucket_of, plan, weight
from alerting.ticks import retirement
from evaluator.sweep import HeartbeatSweep, Sweep

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 3  # a lost race is retried after re-reading; the re-read normally says "duplicate"
T = TypeVar("T")
R = TypeVar("R")


class MetricReader(Protocol):
    calls: int

    def fetch(self, queries: list[MetricQuery]) -> dict[MetricQuery, Observation]: ...


class ShardSender(Protocol):
    def send(self, tick: datetime, shards: list[Shard]) -> None: ...


@dataclass
class Evaluator:
    rules: ConfigRepository[Rule]
    states: StateRepository
    alerts: AlertRepository
    metrics: MetricReader
    runs: RunLog
    # The sweep's configuration; the handler always sets both (tests of evaluation may leave them out).
    policies: ConfigRepository[EscalationPolicy] | None = None
    silences: ConfigRepository[Silence] | None = None
    heartbeats: HeartbeatSweep | None = None  # the sweep's heartbeat pass (None: no heartbeats)
    router: Router | None = None  # who else hears an alert as it starts: the stored routes (the handler's)
    directory: MetricDirectory | None = None  # discovery for fleet rules (wildcard dimensions)
    shards: ShardSender | None = None  # fan-out: where a big tick's shards go (None: always here)
    shard_budget: int = 10_000  # series one invocation evaluates in time (docs/scaling.md)
    io_threads: int = 1  # DynamoDB writes of one tick at once (the handler sets 16)
    _buckets_ready: bool = field(default=False, init=False)
    _large: bool = field(default=False, init=False)  # the enabled rules exceeded the budget last tick
    lifecycle: AlertLifecycle = field(init=False)  # writes every alert change
    sweep: Sweep = field(init=False)  # what time alone does to open alerts

    def __post_init__(self) -> None:
        self.lifecycle = AlertLifecycle(self.alerts, self.states, self.rules, self.router)
        self.sweep = Sweep(self.alerts, self.rules, self.lifecycle, self.policies, self.silences, self.heartbeats)

    def run(self, now: datetime) -> EvaluationSummary:
        """One tick. Evaluated here, or, when its due series exceed the budget of one invocation,
        planned into shards for the workers (``run_shard``); the sweep over open alerts runs here."""
        started, calls_before = time.perf_counter(), self.metrics.calls
        tick = floor_minute(now)
        summary = EvaluationSummary(tick=tick)
        # A deployment whose rules together exceed the budget plans from the rules' stored items
        # alone (and reads whole rules only on a tick it evaluates itself); a smaller one reads
        # whole rules once. Known from the tick before: a container's first tick reads whole rules.
        rules = None if self._large else {r.rule_id: r for r in self.rules.all()}
        plans = list(rules.values()) if rules is not None else self._plans()
        enabled = [p for p in plans if p.enabled]
        due = [p for p in enabled if is_due(p, tick)]
        summary.rules_skipped = len(enabled) - len(due)
        self._large = self.shards is not None and sum(weight(p) for p in enabled) > self.shard_budget
        if self.shards is not None and sum(weight(p) for p in due) > self.shard_budget:
            self._backfill_buckets()
            shards = plan(due, self.shard_budget)
            self.shards.send(tick, shards)
            summary.shards = len(shards)
        elif due or rules is not None:  # a large deployment's minute with nothing due reads no more
            rules = rules if rules is not None else {r.rule_id: r for r in self.rules.all()}
            due_rules = [rules[p.rule_id] for p in due if p.rule_id in rules and rules[p.rule_id].enabled]
            self._evaluate_rules(rules, due_rules, self.states.load_all(), tick, summary)
        self.sweep.run(rules, tick, summary)
        return self._finish(summary, started, calls_before)

    def _plans(self) -> list[RulePlan]:
        return [RulePlan.from_item(item) for item in self.rules.project(PLAN_ATTRIBUTES)]

    def run_shard(self, tick: datetime, shard: Shard) -> EvaluationSummary:
        """One shard of a fanned-out tick: its rules (one BatchGetItem per hundred) and its buckets'
        series (a Query per bucket). Run twice, it counts once: each series remembers its last tick."""
        started, calls_before = time.perf_counter(), self.metrics.calls
        summary = EvaluationSummary(tick=tick, shard=shard.index)
        states = self.states.load_buckets(buckets_to_read(shard, tick))
        # the due rules, and every rule a loaded series belongs to (to know which are retired)
        rules = self.rules.get_many(sorted({*shard.due, *(rule_id for rule_id, _ in states)}))
        due = [rules[r] for r in shard.due if r in rules and rules[r].enabled]
        self._evaluate_rules(rules, due, states, tick, summary)
        return self._finish(summary, started, calls_before)

    def _backfill_buckets(self) -> None:
        """Series written before fan-out existed carry no bucket, so a shard's index Query would
        miss them: the first fanned-out tick of a container gives them theirs (a Scan that finds
        nothing once done, and the run log remembers it was)."""
        if self._buckets_ready or self.runs.flag(BUCKETS_BACKFILLED):
            self._buckets_ready = True
            return
        count = self.states.backfill_buckets()
        logger.info("state items given their bucket", extra={"items": count})
        self.runs.set_flag(BUCKETS_BACKFILLED)
        self._buckets_ready = True

    def _finish(self, summary: EvaluationSummary, started: float, calls_before: int) -> EvaluationSummary:
        summary.get_metric_data_calls = self.metrics.calls - calls_before
        summary.duration_ms = summary.compute_ms = int((time.perf_counter() - started) * 1000)
        self.runs.save(summary)
        return summary

    def _evaluate_rules(
        self,
        rules: dict[str, Rule],
        due: list[Rule],
        states: dict[tuple[str, str], SeriesState],
        tick: datetime,
        summary: EvaluationSummary,
    ) -> None:
        """Retire the series no rule owns any more (`rules`: every rule they could belong to), then
        fetch every due series' values in as few calls as possible and decide each."""
        for key, state in list(states.items()):
            reason = retirement(rules.get(state.rule_id), state, epoch(tick))
            if reason is None:
                continue
            try:
                summary.alerts_resolved += self.lifecycle.retire(state, reason, tick)
                summary.state_writes += 1
                del states[key]
            except Exception:
                logger.exception("retiring a series failed", extra={"rule_id": state.rule_id})
                summary.errors += 1

        fleets = self._fleets(due, states, tick, summary)
        queries = {
            (r.rule_id, r.fingerprint_of(s)): queries_for(r, tick, s) for r in due for s in fleets[r.rule_id].series
        }
        distinct = {q for qs in queries.values() for q in qs}
        summary.metric_queries = len(distinct)
        observations = self.metrics.fetch(list(distinct)) if distinct else {}

        changed: list[Change] = []
        for rule in due:
            summary.rules_evaluated += 1
            for series in fleets[rule.rule_id].series:
                key = (rule.rule_id, rule.fingerprint_of(series))
                try:
                    values = observe(rule, observations, tick, series)
                    decision = evaluate_series(rule, values, states.get(key), tick, series)
                except Exception:
                    logger.exception("rule evaluation failed", extra={"rule_id": rule.rule_id, "series": series})
                    summary.errors += 1
                    continue
                if decision.changed:
                    changed.append(Change(rule, series, values, decision))
                else:
                    _tally(summary, decision)
        # The writes, a bounded number of rules at once: 2,000 series firing in one tick are 2,000
        # transactions, 16 s one after another at 8 ms each. One rule's writes go one after
        # another: each that fires checks the rule item, and transactions on one item at once
        # cancel each other (TransactionConflict).
        by_rule: dict[str, list[Change]] = defaultdict(list)
        for change in changed:
            by_rule[change.rule.rule_id].append(change)
        commit = partial(self._commit_change, tick=tick)
        per_rule = self._concurrently(lambda changes: [_guarded(commit, c) for c in changes], list(by_rule.values()))
        for changes, outcomes in zip(by_rule.values(), per_rule, strict=True):
            for change, outcome in zip(changes, outcomes, strict=True):
                self._count(change, outcome, summary)

    @staticmethod
    def _count(change: Change, outcome: tuple[Decision, bool] | Exception | None, summary: EvaluationSummary) -> None:
        """A committed change into the summary (None: its rule was disabled meanwhile)."""
        if isinstance(outcome, Exception):
            logger.error(
                "rule evaluation failed",
                exc_info=outcome,
                extra={"rule_id": change.rule.rule_id, "series": change.series},
            )
            summary.errors += 1
        elif outcome is not None:
            decision, wrote = outcome
            summary.state_writes += wrote
            _tally(summary, decision)

    def _concurrently(self, work: Callable[[T], R], items: list[T]) -> list[R]:
        """``work`` of each item, at most ``io_threads`` at once (``work`` catches what it may raise)."""
        if self.io_threads <= 1 or len(items) <= 1:
            return [work(item) for item in items]
        # each task in a copy of this thread's context: the tick's template budget goes along
        contexts = [copy_context() for _ in items]
        with ThreadPoolExecutor(max_workers=min(self.io_threads, len(items))) as pool:
            return list(pool.map(lambda context, item: context.run(work, item), contexts, items))

    def _fleets(
        self, due: list[Rule], states: dict[tuple[str, str], SeriesState], tick: datetime, summary: EvaluationSummary
    ) -> dict[str, Fleet]:
        """The series each due rule evaluates: its one series, or a fleet rule's discovered ones."""
        known: dict[str, list[dict[str, str]]] = defaultdict(list)
        for (rule_id, _), state in states.items():
            known[rule_id].append(state.series)
        calls_before = self.directory.calls if self.directory else 0
        fleets: dict[str, Fleet] = {}
        for rule in due:
            try:
                fleets[rule.rule_id] = fleet(rule, self.directory, tick, known[rule.rule_id])
            except MetricsUnavailable:
                logger.exception("discovering a fleet rule's series failed", extra={"rule_id": rule.rule_id})
                summary.errors += 1
                fleets[rule.rule_id] = Fleet([])
            if fleets[rule.rule_id].excess:
                summary.series_over_limit[rule.rule_id] = fleets[rule.rule_id].excess
        summary.discovery_calls = (self.directory.calls if self.directory else 0) - calls_before
        return fleets

    def _commit_change(self, change: Change, tick: datetime) -> tuple[Decision, bool] | None:
        """Write the change; on a lost race, decide again from the stored state. The decision
        tallied and whether it wrote, or None when the rule was disabled or deleted meanwhile
        (nothing to count; the backstop tidies up)."""
        rule, series, observations, decision = change
        values = [ConditionValue.observed(c, o.value) for c, o in zip(rule.conditions, observations, strict=True)]
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                self.lifecycle.record(rule, decision, values, tick)
                return decision, True
            except ConcurrentUpdate:
                if attempt == MAX_ATTEMPTS:
                    raise
                if not self._still_enabled(rule.rule_id):
                    return None
                state = self.states.get(rule.rule_id, rule.fingerprint_of(series))
                decision = evaluate_series(rule, observations, state, tick, series)
                if not decision.changed:
                    return decision, False
        raise AssertionError("unreachable")

    def _still_enabled(self, rule_id: str) -> bool:
        rule = self.rules.find(rule_id)  # None: deleted meanwhile
        return rule is not None and rule.enabled


class Change(NamedTuple):
    """A series whose decision changed something: what the tick writes for it."""

    rule: Rule
    series: dict[str, str]
    observations: list[Observation]
    decision: Decision


def _guarded(work: Callable[[T], R], item: T) -> R | Exception:
    """``work(item)``, or the exception it raised (counted by the caller, never lost)."""
    try:
        return work(item)
    except Exception as exc:
        return exc


def buckets_to_read(shard: Shard, tick: datetime) -> list[int]:
    """The shard's buckets that hold a rule, and one bucket in turn (the minute's) that holds none:
    a deleted rule's leftover series there is found within 256 ticks, not at the cost of a Query
    of every empty bucket every tick."""
    occupied = {bucket_of(r) for r in shard.due}
    turn = epoch(tick) // 60 % BUCKETS
    return [b for b in shard.buckets if b in occupied or b == turn]


def _tally(summary: EvaluationSummary, decision: Decision) -> None:
    summary.series += 1
    summary.breaches += decision.outcome is Outcome.breach
    summary.errors += decision.outcome is Outcome.error
    summary.duplicates += decision.outcome is Outcome.duplicate
    summary.suppressed += decision.suppressed is not None
    if decision.changed:
        summary.alerts_fired += len(decision.fire)
        summary.alerts_resolved += len(decision.resolve)
