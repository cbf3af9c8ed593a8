"""The cost calculator counts what GetMetricData bills: metrics requested."""

from __future__ import annotations

import pytest

from alerting.cost import MINUTES_PER_MONTH, estimate
from tests.factories import condition, make_rule, metric


def test_one_rule_every_minute_requests_one_metric_per_minute():
    result = estimate([make_rule()])
    assert result.metrics_requested == MINUTES_PER_MONTH
    assert result.get_metric_data == pytest.approx(0.432)


def test_identical_queries_are_billed_once():
    assert estimate([make_rule(rule_id="a"), make_rule(rule_id="b")]).metrics_requested == MINUTES_PER_MONTH


def test_a_five_minute_interval_costs_a_fifth():
    assert estimate([make_rule(evaluation_interval_seconds=300)]).metrics_requested == MINUTES_PER_MONTH // 5


def test_shared_query_is_requested_whenever_any_of_its_rules_is_due():
    rules = [
        make_rule(rule_id="a", evaluation_interval_seconds=120),
        make_rule(rule_id="b", evaluation_interval_seconds=180),
    ]
    # minutes divisible by 2 or 3: 1440/2 + 1440/3 - 1440/6 = 960 a day
    assert estimate(rules).metrics_requested == 960 * 30


def test_native_alarms_bill_per_metric_after_the_free_ten():
    rules = [make_rule(rule_id=f"r{i}", conditions=[condition(metric=metric(name=f"m{i}"))]) for i in range(12)]
    assert estimate(rules).native_alarms == pytest.approx(0.20)
