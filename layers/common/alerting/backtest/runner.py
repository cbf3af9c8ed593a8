"""One backtest, as the API and `make backtest` run it: plan (with the rule it edits), refuse it
over a limit, read the windows once, replay each, compare."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from alerting.backtest.comparison import Comparison, compare
from alerting.backtest.planning import DEFAULT_LIMITS, Budget, Limits, Plan, enforce, plan
from alerting.backtest.replay import NO_QUIETING, Outcome, Quieting, replay
from alerting.discovery import MetricDirectory
from alerting.metrics import WindowRead, WindowValues
from alerting.models.common import epoch, floor_minute, iso
from alerting.models.policies import EscalationPolicySpec
from alerting.models.rules import Rule
from alerting.ticks import MINUTE


class WindowReader(Protocol):
    calls: int

    def read_windows(
        self, reads: Sequence[WindowRead], progress: Callable[[int, int], None] | None = None
    ) -> WindowValues: ...


@dataclass(frozen=True)
class Backtest:
    """A backtest's plan and, unless only priced, its outcome; with the rule as saved, the comparison."""

    plan: Plan
    budget: Budget
    limits: Limits
    outcome: Outcome | None = None
    saved: Outcome | None = None
    comparison: Comparison | None = None


def run(
    rule: Rule,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    metrics: WindowReader,
    directory: MetricDirectory | None,
    saved: Rule | None = None,
    quieting: Quieting = NO_QUIETING,
    policy: EscalationPolicySpec | None = None,
    limits: Limits = DEFAULT_LIMITS,
    plan_only: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Backtest:
    """Plan ``rule`` (and ``saved``, the rule it edits), refuse it over a limit, read the windows
    once, replay each and compare. ``progress`` hears about reads and every tenth of the replay."""
    planned = plan(rule, start, end, now, directory, limits)
    previous = plan(saved, start, end, now, directory, limits) if saved is not None else None
    budget = Budget.of([planned, *([previous] if previous else [])])
    enforce(budget, limits)
    if plan_only:
        return Backtest(planned, budget, limits)
    say = progress or (lambda _: None)
    values = metrics.read_windows(budget.reads, lambda done, total: say(f"read {done} of {total} GetMetricData calls"))
    outcome = replay(planned, values, policy=policy, quieting=quieting, progress=_every_tenth(planned, say))
    if previous is None:
        return Backtest(planned, budget, limits, outcome)
    before = replay(previous, values, policy=policy, quieting=quieting)
    return Backtest(planned, budget, limits, outcome, before, compare(before, outcome))


def _every_tenth(planned: Plan, say: Callable[[str], None]) -> Callable[[datetime], None]:
    first = epoch(floor_minute(planned.start))
    total = epoch(floor_minute(planned.end)) - first
    step = max(60, total // 10 // 60 * 60)

    def tick(at: datetime) -> None:
        done = epoch(at) + 60 - first  # the minute at `at` is replayed
        if done % step == 0 or done == total:
            say(f"replayed {round(100 * done / max(1, total))}% (to {iso(at + MINUTE)})")

    return tick
