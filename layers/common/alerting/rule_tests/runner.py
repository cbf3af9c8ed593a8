"""Running rule tests: each test's datapoints replayed minute by minute to its last `at`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path

from alerting.discovery import MetricDirectory
from alerting.models.rules import Rule
from alerting.recorded import RecordedCloudWatch
from alerting.repositories.cloudwatch import CloudWatchListing, CloudWatchMetrics
from alerting.rule_tests.file_format import Problem
from alerting.rule_tests.loading import RuleTest, load
from alerting.rule_tests.report import Check, Report, diff
from alerting.ticks import FetchingObserver, RuleReplay


def run_files(paths: Sequence[Path], catalogue: Mapping[str, Rule]) -> Report:
    report = Report()
    if not paths:
        report.problems.append(Problem("-", 1, 1, "no rule test files given"))
    for path in paths:
        tests, problems = load(path, catalogue)
        report.problems += problems
        for test in tests:
            report.checks += run(test)
    return report


def run(test: RuleTest) -> list[Check]:
    """Replay the test's datapoints minute by minute to its last `at`, checking each `at`."""
    recorded = RecordedCloudWatch()
    for series in test.series:
        for i, value in enumerate(series.values):
            if value is not None:
                recorded.put(series.namespace, series.name, series.dimensions, test.start + i * test.interval, value)
    replay = RuleReplay(
        test.rule,
        FetchingObserver(CloudWatchMetrics(recorded)),
        directory=MetricDirectory(CloudWatchListing(recorded)),
        clock=lambda tick: setattr(recorded, "now", tick),
    )
    wanted = {test.start + expectation.at: (expectation, line) for expectation, line in test.expect}
    checks: list[Check] = []
    tick = test.start
    while tick <= max(wanted):
        replay.tick(tick)
        if tick in wanted:
            expectation, line = wanted[tick]
            got = [a for a in replay.alerts.values() if a.is_open or a.last_transition.at == tick]
            checks.append(Check(test, expectation.at, line, diff(test.rule, expectation, got, replay, tick)))
        tick += timedelta(minutes=1)
    return checks
