"""Metric math: the safe parser, evaluation with missing operands and division by zero, how a
condition validates its expression, and a condition's observation from its metrics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from alerting.evaluation import Observation, evaluate_series
from alerting.expressions import ExpressionError, evaluate, names, parse
from alerting.metrics import condition_queries, observe, queries_for
from alerting.models.rules import Rule
from alerting.validation import field_errors
from tests.factories import T0, metric, rule_data

VALUES = {"errors": 5.0, "requests": 200.0, "a": 2.0, "b": 0.0, "gone": None}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("100 * errors / requests", 2.5),
        ("errors / requests * 100", 2.5),
        ("a + a * a", 6.0),
        ("(a + a) * a", 8.0),
        ("-a + 10", 8.0),
        ("- -a", 2.0),
        ("a - -a", 4.0),
        ("1.5e2 / a", 75.0),
        ("a / b", None),  # division by zero: missing data
        ("errors / gone", None),  # a missing operand: missing data
        ("errors / (requests - 200)", None),
        ("7", 7.0),
        ("1e300 * 1e300 * a", None),  # past a float's range: missing data, never inf
        ("a * 1e308 - 1e308 * a", None),  # inf - inf would be nan
        ("1e300 / 1e-300", None),
        ("1e308", 1e308),
    ],
)
def test_expressions_evaluate_with_precedence_and_missing_data(text, value):
    assert evaluate(parse(text), VALUES) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("a +", "ends where an operand is expected"),
        ("(a + b", "not closed"),
        ("a b", "after a complete expression"),
        ("__import__('os')", "unexpected"),
        ("a ** b", "where an operand is expected"),
        ("a % b", "unexpected"),
        ("Errors", "unexpected"),  # ids are lower-case first, as CloudWatch's
        ("(" * 30 + "a" + ")" * 30, "nested deeper"),
        ("1e999 * a", "the number 1e999 is too large"),  # float() would read it as inf
        ("a / 1" + "0" * 400, "is too large"),
    ],
)
def test_invalid_expressions_say_why(text, message):
    with pytest.raises(ExpressionError, match=message):
        parse(text)


def test_names_are_the_ids_used():
    assert names(parse("100 * errors / (requests + errors)")) == {"errors", "requests"}


def ratio(**overrides: object) -> dict:
    return {
        "expression": "100 * errors / requests",
        "metrics": {
            "errors": metric("Errors", namespace="App", statistic="Sum"),
            "requests": metric("Requests", namespace="App", statistic="Sum"),
        },
        "operator": "gt",
        "threshold": 5,
    } | overrides


@pytest.mark.parametrize(
    ("condition", "field"),
    [
        (ratio(expression="100 * errors / requestz"), "conditions.0.expression"),
        (ratio(expression="100 * (errors"), "conditions.0.expression"),
        (ratio(metrics={}), "conditions.0.expression"),  # nothing to compute over
        (ratio(metric=metric("CPU")), "conditions.0.metric"),  # both
        (ratio(metrics={"Bad-Id": metric("E")}, expression="1"), "conditions.0.metrics"),  # names the map
        (ratio(metrics={}, expression=None), "conditions.0.metric"),  # neither a metric nor math
        (ratio(expression="errors * 1e999"), "conditions.0.expression"),
    ],
)
def test_a_condition_with_invalid_math_names_the_field(condition, field):
    with pytest.raises(ValidationError) as caught:
        Rule.model_validate(rule_data(conditions=[condition]))
    assert field in [f for f, _ in field_errors(caught.value.errors())]


def test_one_query_per_metric_and_the_condition_sees_the_computed_value():
    rule = Rule.model_validate(rule_data(conditions=[ratio()], window_seconds=300))
    (per_condition,) = condition_queries(rule, T0)
    assert sorted(per_condition) == ["errors", "requests"] and len(queries_for(rule, T0)) == 2
    fetched = {per_condition["errors"]: Observation(12.0), per_condition["requests"]: Observation(100.0)}
    (seen,) = observe(rule, fetched, T0)
    assert seen == Observation(12.0)
    decision = evaluate_series(rule, [seen], None, T0)
    assert decision.fire and rule.conditions[0].describe() == "100 * errors / requests > 5"

    fetched[per_condition["requests"]] = Observation(0.0)
    assert observe(rule, fetched, T0) == [Observation(None)]  # no traffic: missing, not infinite
    fetched[per_condition["errors"]] = Observation(None, error="InternalError: boom")
    assert observe(rule, fetched, T0)[0].error == "InternalError: boom"


def test_math_over_a_fleet_binds_every_metric_to_the_series():
    fleet = ratio(
        metrics={
            "errors": metric("Errors", namespace="App", dimensions={"Service": "*"}, statistic="Sum"),
            "requests": metric("Requests", namespace="App", dimensions={"Service": "*"}, statistic="Sum"),
        }
    )
    rule = Rule.model_validate(rule_data(conditions=[fleet]))
    assert rule.wildcards == ("Service",)
    queries = queries_for(rule, T0 + timedelta(minutes=1), {"Service": "pay"})
    assert {q.dimensions for q in queries} == {(("Service", "pay"),)}
