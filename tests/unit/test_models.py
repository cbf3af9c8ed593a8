"""Rule validation: every bad field is rejected with a message naming it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from alerting.models.channels import ChannelFilters
from alerting.models.common import AlertEvent, Category, ComputedDatetime, Severity, UtcDatetime
from alerting.models.rules import Rule
from alerting.validation import field_errors
from tests.factories import condition, metric, rule_data


def error_fields(data: dict[str, Any]) -> dict[str, str]:
    """The fields the API and the CLI would name, with their messages."""
    with pytest.raises(ValidationError) as info:
        Rule.model_validate(data)
    return dict(field_errors(info.value.errors()))


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"breaches_to_fire": 3, "out_of": 2}, "breaches_to_fire", "breaches_to_fire must not exceed out_of"),
        ({"breaches_to_fire": 3, "out_of": 2}, "out_of", "breaches_to_fire must not exceed out_of"),
        ({"window_seconds": 90}, "window_seconds", "multiple of 60"),
        ({"window_seconds": 30}, "window_seconds", "greater than or equal to 60"),
        ({"evaluation_interval_seconds": 150}, "evaluation_interval_seconds", "multiple of 60"),
        ({"conditions": []}, "conditions", "at least 1"),
        (
            {"conditions": [condition(metric=metric(statistic="Median"))]},
            "conditions.0.metric.statistic",
            "not a CloudWatch statistic",
        ),
        ({"conditions": [condition(threshold="85")]}, "conditions.0.threshold", "valid number"),
        ({"conditions": [condition(threshold=float("nan"))]}, "conditions.0.threshold", "finite"),
        ({"conditions": [condition(operator="between")]}, "conditions.0.operator", "gt"),
        (
            {"conditions": [condition("gte", 85, resolve_threshold=90)]},
            "conditions.0.resolve_threshold",
            "recovery side",
        ),
        (
            {"conditions": [condition("lt", 70, resolve_threshold=60)]},
            "conditions.0.resolve_threshold",
            "recovery side",
        ),
        ({"conditions": [condition("gt", 1, tolerance=0.5)]}, "conditions.0.tolerance", "tolerance applies only"),
        ({"severity": "urgent"}, "severity", "critical"),
        ({"rule_id": "Bad_ID"}, "rule_id", "pattern"),
        ({"name": ""}, "name", "at least 1"),
        ({"unknown": 1}, "unknown", "Extra inputs"),
        ({"conditions": [condition()] * 11}, "conditions", "at most 10"),
        # what DynamoDB and CloudWatch refuse although Python allows it
        ({"conditions": [condition(threshold=1e126)]}, "conditions.0.threshold", "between 1e-130 and 1e126"),
        ({"conditions": [condition(threshold=5e-324)]}, "conditions.0.threshold", "between 1e-130 and 1e126"),
        (
            {"conditions": [condition(metric=metric(dimensions={"Service": ""}))]},
            "conditions.0.metric.dimensions.Service",
            "at least 1",
        ),
        ({"labels": {"": "x"}}, "labels", "key '': String should have at least 1"),
        ({"annotations": {"": "x"}}, "annotations", "at least 1"),
    ],
)
def test_rule_validation_names_the_field(overrides: dict[str, Any], field: str, message: str):
    errors = error_fields(rule_data(**overrides))
    assert field in errors, errors
    assert message in errors[field]


@pytest.mark.parametrize(
    "statistic",
    # as CloudWatch's "Statistics definitions" page writes them
    [
        *("Average", "Maximum", "Minimum", "Sum", "SampleCount", "IQM"),
        *("p99", "p99.9", "p50", "p100", "p0", "p99.99", "p99.9999999999"),
        *("tm99", "tm90", "wm98", "tc90", "ts90", "tm99.5"),
        *("TM(10%:90%)", "TM(2%:98%)", "TM(150:1000)", "TM(:95%)", "TM(5%:)"),
        *("WM(10%:90%)", "TC(10%:90%)", "TC(0.005:0.030)", "TS(80%:)", "PR(:300)", "PR(100:2000)"),
    ],
)
def test_rule_accepts_every_supported_statistic(statistic: str):
    rule = Rule.model_validate(rule_data(conditions=[condition(metric=metric(statistic=statistic))]))
    assert rule.conditions[0].metric.statistic == statistic


def test_rule_defaults_match_the_contract():
    rule = Rule.model_validate(rule_data(breaches_to_fire=3))
    assert (rule.out_of, rule.window_seconds, rule.evaluation_delay_seconds) == (3, 300, 60)
    assert (rule.evaluation_interval_seconds, rule.resolve_after, rule.treat_missing_data) == (
        60,
        1,
        "ignore",
    )
    assert rule.match == "all" and rule.auto_resolve and rule.enabled and rule.cooldown_seconds == 0


def test_rule_threshold_accepts_integers_from_json_and_yaml():
    assert Rule.model_validate(rule_data(conditions=[condition(threshold=85)])).conditions[0].threshold == 85.0


def test_definition_hash_changes_with_conditions_not_with_severity():
    base = Rule.model_validate(rule_data())
    assert base.definition_hash == Rule.model_validate(rule_data(severity="low")).definition_hash
    assert base.definition_hash != Rule.model_validate(rule_data(conditions=[condition(threshold=90)])).definition_hash
    assert base.definition_hash != Rule.model_validate(rule_data(window_seconds=600)).definition_hash


@pytest.mark.parametrize(
    ("filters", "severity", "category", "event", "accepted"),
    [
        ({}, "info", "cost", "repeat", True),
        ({"min_severity": "high"}, "critical", "custom", "firing", True),
        ({"min_severity": "high"}, "medium", "custom", "firing", False),
        ({"categories": ["performance"]}, "high", "errors", "firing", False),
        ({"events": ["firing", "resolved"]}, "high", "errors", "acknowledged", False),
        ({"events": ["firing", "resolved"]}, "high", "errors", "resolved", True),
    ],
)
def test_channel_filters(filters: dict[str, Any], severity: str, category: str, event: str, accepted: bool):
    verdict = ChannelFilters.model_validate(filters).accepts(Severity(severity), Category(category), AlertEvent(event))
    assert verdict is accepted


def test_copy_with_new_conditions_does_not_keep_the_cached_hash():
    rule = Rule.model_validate(rule_data())
    cached = rule.definition_hash
    changed = rule.model_copy(
        update={"conditions": Rule.model_validate(rule_data(conditions=[condition(threshold=90)])).conditions}
    )
    assert changed.definition_hash != cached
    assert rule.model_copy().definition_hash == cached


@pytest.mark.parametrize(
    "statistic",
    [
        *("p100.5", "p100.01", "p101", "p", "p-1", "P99", "p99.12345678901"),  # beyond 0-100 / 10 decimals
        *("tm101", "Median", "average", "IQM(1:2)"),
        *("TM(90%:10%)", "TM(:)", "TM(10%:900)", "TM(10%:190%)", "WM(150:1000)", "PR(:30%)", "PR(5:5)", "TM 10%:90%"),
    ],
)
def test_rule_refuses_statistics_cloudwatch_would_reject(statistic: str):
    with pytest.raises(ValidationError) as caught:
        Rule.model_validate(rule_data(conditions=[condition(metric=metric(statistic=statistic))]))
    assert [".".join(map(str, e["loc"])) for e in caught.value.errors()] == ["conditions.0.metric.statistic"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0001-01-01T00:00:00+05:00", "is out of range once converted to UTC"),  # astimezone overflows
        ("9999-12-31T23:59:59-05:00", "is out of range once converted to UTC"),
        ("0001-01-01T00:00:00Z", "must be from 1900-01-01T00:00:00Z to before 9000-01-01T00:00:00Z"),
        ("9999-12-31T23:59:59Z", "must be from 1900-01-01T00:00:00Z"),  # a week's retention added would overflow
        ("1899-12-31T23:59:59Z", "must be from 1900-01-01T00:00:00Z"),
        ("9000-01-01T00:00:00Z", "must be from 1900-01-01T00:00:00Z"),
    ],
)
def test_a_date_near_either_end_of_the_calendar_is_a_field_error(text: str, message: str):
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(UtcDatetime).validate_python(text)
    assert message in str(caught.value)


def test_dates_inside_the_range_are_normalised_to_utc_and_computed_ones_may_lie_outside():
    assert TypeAdapter(UtcDatetime).validate_python("1900-01-01T01:00:00+01:00") == datetime(1900, 1, 1, tzinfo=UTC)
    assert TypeAdapter(UtcDatetime).validate_python("8999-12-31T23:59:59") == datetime(
        8999, 12, 31, 23, 59, 59, tzinfo=UTC
    )
    early = TypeAdapter(ComputedDatetime).validate_python("0001-01-01T00:00:00Z")
    assert TypeAdapter(ComputedDatetime).dump_json(early) == b'"0001-01-01T00:00:00Z"'  # four digits, sortable
