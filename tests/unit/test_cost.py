"""The cost report counts what AWS bills: metrics requested, GB-seconds, request units, messages."""

from __future__ import annotations

from datetime import date

import pytest

from alerting.cost import MINUTES_PER_MONTH, estimate, prices, report
from alerting.models.reports import EvaluationSummary
from tests.factories import T0, condition, make_rule, metric


def line(result, prefix: str):
    (found,) = [item for item in result.lines if item.item.startswith(prefix)]
    return found


def test_one_rule_every_minute_requests_one_metric_per_minute():
    gmd = line(estimate([make_rule()]), "GetMetricData")
    assert gmd.quantity == MINUTES_PER_MONTH
    assert gmd.monthly_usd == pytest.approx(0.432)


def test_identical_queries_are_billed_once():
    result = estimate([make_rule(rule_id="a"), make_rule(rule_id="b")])
    assert line(result, "GetMetricData").quantity == MINUTES_PER_MONTH


def test_a_five_minute_interval_costs_a_fifth_and_the_lever_says_so():
    assert line(estimate([make_rule(evaluation_interval_seconds=300)]), "GetMetricData").quantity == 8_640
    (lever,) = estimate([make_rule()]).costliest_rules
    assert (lever.monthly_usd, lever.at_five_minutes_usd) == (pytest.approx(0.43), pytest.approx(0.09))


def test_shared_query_is_requested_whenever_any_of_its_rules_is_due():
    rules = [
        make_rule(rule_id="a", evaluation_interval_seconds=120),
        make_rule(rule_id="b", evaluation_interval_seconds=180),
    ]
    # minutes divisible by 2 or 3: 1440/2 + 1440/3 - 1440/6 = 960 a day
    assert line(estimate(rules), "GetMetricData").quantity == 960 * 30


def test_a_fleet_rule_is_billed_per_series_known_or_its_max_series():
    fleet = make_rule(max_series=50, conditions=[condition(metric=metric(dimensions={"InstanceId": "*"}))])
    assert line(estimate([fleet]), "GetMetricData").quantity == 50 * MINUTES_PER_MONTH
    measured = estimate([fleet], series={fleet.rule_id: 7})
    assert line(measured, "GetMetricData").quantity == 7 * MINUTES_PER_MONTH
    assert measured.native_alarm_metrics == 7  # an alarm per instance


def test_native_alarms_bill_per_metric_after_the_free_ten():
    rules = [make_rule(rule_id=f"r{i}", conditions=[condition(metric=metric(name=f"m{i}"))]) for i in range(12)]
    assert estimate(rules).native_alarms_usd == pytest.approx(0.20)


def test_the_last_tick_sets_compute_and_writes_and_deliveries_are_priced_by_type():
    tick = EvaluationSummary(tick=T0, duration_ms=2_000, state_writes=10)
    result = estimate([make_rule()], last_tick=tick, deliveries={"topic": 300, "email": 1_000, "sms": 100})
    assert line(result, "Lambda").quantity == round(0.5 * (MINUTES_PER_MONTH * 2.0 + 0.2 * 1_400))
    assert line(result, "DynamoDB write").quantity == 21 * MINUTES_PER_MONTH
    assert line(result, "SES").monthly_usd == pytest.approx(0.10)
    assert line(result, "SMS").monthly_usd == pytest.approx(0.581)
    assert line(result, "SNS").free_usd == line(result, "SNS").monthly_usd  # inside the free million


def test_the_free_tier_is_explained_and_taken_off():
    result = estimate([make_rule()])
    assert result.after_free_tier_usd < result.total_usd
    text = report(result)
    assert "Free tier" in text and "400,000 GB-s" in text and "outside CloudWatch's free API requests" in text


def test_prices_come_from_one_dated_file():
    assert date.fromisoformat(prices()["as_of"]) <= date(2026, 12, 31)
    assert estimate([make_rule()]).prices_as_of == prices()["as_of"]
