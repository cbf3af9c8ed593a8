"""Fleet discovery: the exact ListMetrics requests (Stubber), exact-dimension matching,
pagination, the cache, and how conditions join on their wildcards."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
from botocore.stub import Stubber
from pydantic import ValidationError

from alerting.discovery import MetricDirectory, fleet
from alerting.errors import MetricsUnavailable
from alerting.models.rules import Rule
from alerting.repositories.cloudwatch import CloudWatchListing
from tests.factories import T0, condition, metric, rule_data


def fleet_rule(**overrides: object) -> Rule:
    cpu = condition(metric=metric("CPUUtilization", namespace="AWS/EC2", dimensions={"InstanceId": "*"}))
    return Rule.model_validate(rule_data(conditions=[cpu]) | overrides)


def listed(*dimension_sets: dict[str, str]) -> list[dict]:
    return [
        {
            "Namespace": "AWS/EC2",
            "MetricName": "CPUUtilization",
            "Dimensions": [{"Name": k, "Value": v} for k, v in d.items()],
        }
        for d in dimension_sets
    ]


@pytest.fixture
def cloudwatch():
    client = boto3.client("cloudwatch", region_name="us-east-1")
    with Stubber(client) as stub:
        yield client, stub


REQUEST = {
    "Namespace": "AWS/EC2",
    "MetricName": "CPUUtilization",
    "Dimensions": [{"Name": "InstanceId"}],
    "RecentlyActive": "PT3H",
}


def test_lists_with_name_only_filters_pages_and_keeps_exact_dimension_sets(cloudwatch):
    client, stub = cloudwatch
    stub.add_response(
        "list_metrics",
        {
            "Metrics": listed({"InstanceId": "i-2"}, {"InstanceId": "i-1", "AutoScalingGroupName": "web"}),
            "NextToken": "t",
        },
        REQUEST,
    )
    stub.add_response("list_metrics", {"Metrics": listed({"InstanceId": "i-1"})}, {**REQUEST, "NextToken": "t"})
    directory = MetricDirectory(CloudWatchListing(client))

    found = fleet(fleet_rule(), directory, T0)

    assert found.series == [{"InstanceId": "i-1"}, {"InstanceId": "i-2"}]  # the ASG-level metric is another series
    assert (directory.calls, found.excess) == (2, 0)
    stub.assert_no_pending_responses()


def test_the_list_is_cached_for_five_minutes_of_tick_time(cloudwatch):
    """The tick's clock, not the wall clock: a replay of a day in a second discovers the
    instance that appeared at 00:06 by the 00:10 tick, as production would."""
    client, stub = cloudwatch
    directory = MetricDirectory(CloudWatchListing(client))
    stub.add_response("list_metrics", {"Metrics": listed({"InstanceId": "i-1"})}, REQUEST)
    stub.add_response("list_metrics", {"Metrics": listed({"InstanceId": "i-1"}, {"InstanceId": "i-2"})}, REQUEST)
    stub.add_response("list_metrics", {"Metrics": listed({"InstanceId": "i-1"})}, REQUEST)
    rule = fleet_rule()
    assert len(fleet(rule, directory, T0).series) == 1
    assert len(fleet(rule, directory, T0 + timedelta(seconds=299)).series) == 1
    assert directory.calls == 1
    assert len(fleet(rule, directory, T0 + timedelta(minutes=5)).series) == 2  # i-2 discovered
    assert directory.calls == 2
    assert len(fleet(rule, directory, T0).series) == 1  # a replay that starts again asks again
    assert directory.calls == 3
    stub.assert_no_pending_responses()


def test_fixed_dimensions_filter_by_value_and_conditions_join_on_the_wildcard(cloudwatch):
    client, stub = cloudwatch
    errors = metric("Errors", namespace="App", dimensions={"Service": "*", "Env": "prod"}, statistic="Sum")
    requests = metric("Requests", namespace="App", dimensions={"Service": "*", "Env": "prod"}, statistic="Sum")
    rule = Rule.model_validate(
        rule_data(conditions=[condition(metric=errors), condition(metric=requests)], match="any")
    )
    base = {
        "Namespace": "App",
        "Dimensions": [{"Name": "Service"}, {"Name": "Env", "Value": "prod"}],
        "RecentlyActive": "PT3H",
    }

    def svc(name: str, service: str) -> dict:
        return {
            "Namespace": "App",
            "MetricName": name,
            "Dimensions": [{"Name": "Service", "Value": service}, {"Name": "Env", "Value": "prod"}],
        }

    stub.add_response("list_metrics", {"Metrics": [svc("Errors", "pay")]}, {**base, "MetricName": "Errors"})
    stub.add_response(
        "list_metrics",
        {"Metrics": [svc("Requests", "pay"), svc("Requests", "web")]},
        {**base, "MetricName": "Requests"},
    )

    found = fleet(rule, MetricDirectory(CloudWatchListing(client)), T0)

    # the union: "web" has requests but no errors yet; its errors read as missing data
    assert found.series == [{"Env": "prod", "Service": "pay"}, {"Env": "prod", "Service": "web"}]


def test_max_series_caps_the_fleet_keeping_series_with_state_first(cloudwatch):
    client, stub = cloudwatch
    stub.add_response("list_metrics", {"Metrics": listed(*({"InstanceId": f"i-{n}"} for n in range(5)))}, REQUEST)
    found = fleet(
        fleet_rule(max_series=2),
        MetricDirectory(CloudWatchListing(client)),
        T0,
        known=[{"InstanceId": "i-4"}, {"Service": "x"}],
    )
    assert (found.series, found.excess) == ([{"InstanceId": "i-4"}, {"InstanceId": "i-0"}], 3)


def test_a_series_with_state_is_kept_after_it_stops_being_listed(cloudwatch):
    client, stub = cloudwatch
    stub.add_response("list_metrics", {"Metrics": []}, REQUEST)
    found = fleet(fleet_rule(), MetricDirectory(CloudWatchListing(client)), T0, known=[{"InstanceId": "i-9"}])
    assert found.series == [{"InstanceId": "i-9"}]


def test_a_failed_listing_is_metrics_unavailable(cloudwatch):
    client, stub = cloudwatch
    stub.add_client_error("list_metrics", "Throttling", http_status_code=400)
    with pytest.raises(MetricsUnavailable):
        fleet(fleet_rule(), MetricDirectory(CloudWatchListing(client)), T0)


def test_a_single_series_rule_needs_no_discovery():
    rule = Rule.model_validate(rule_data())
    assert fleet(rule, None, T0).series == [rule.series]
    with pytest.raises(MetricsUnavailable):
        fleet(fleet_rule(), None, T0)


def test_wildcards_must_agree_across_conditions_and_bind_per_series():
    a = condition(metric=metric("A", dimensions={"InstanceId": "*"}))
    b = condition(metric=metric("B", dimensions={"Service": "*"}))
    with pytest.raises(ValidationError, match="same wildcard dimensions"):
        Rule.model_validate(rule_data(conditions=[a, b]))
    rule = fleet_rule()
    assert (rule.wildcards, rule.series) == (("InstanceId",), {})
    bound = rule.conditions[0].metric.bound({"InstanceId": "i-1"})
    assert bound.dimensions == {"InstanceId": "i-1"} and rule.conditions[0].metric.dimensions == {"InstanceId": "*"}
    assert rule.owns({"InstanceId": "i-1"}) and not rule.owns({"InstanceId": "i-1", "Extra": "x"})
    assert rule.fingerprint_of({"InstanceId": "i-1"}) != rule.fingerprint_of({"InstanceId": "i-2"})
