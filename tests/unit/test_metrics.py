"""GetMetricData adapter: exact requests with Stubber, basic statistics against moto."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from alerting.evaluation import Observation
from alerting.metrics import MetricQuery, batches
from alerting.models.conditions import MetricSpec
from alerting.repositories.cloudwatch import CloudWatchMetrics

END = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)


def query(name: str = "CPU", window: int = 300, statistic: str = "Average", end: datetime = END) -> MetricQuery:
    spec = MetricSpec(namespace="App", name=name, dimensions={"Service": "web"}, statistic=statistic)
    return MetricQuery.for_metric(spec, window, end)


def result(qid: str, value: float | None, at: datetime, status: str = "Complete") -> dict:
    return {
        "Id": qid,
        "Label": qid,
        "Timestamps": [] if value is None else [at],
        "Values": [] if value is None else [value],
        "StatusCode": status,
    }


@pytest.fixture
def stubbed():
    client = boto3.client("cloudwatch", region_name="us-east-1")
    with Stubber(client) as stubber:
        sleeps: list[float] = []
        # one call at a time: Stubber answers in the order its responses were added
        yield CloudWatchMetrics(client, sleep=sleeps.append, threads=1), stubber, sleeps
        stubber.assert_no_pending_responses()


def test_501_distinct_queries_take_exactly_two_calls(stubbed):
    reader, stubber, _ = stubbed
    queries = [query(f"m{i}") for i in range(501)]
    bucket = END - timedelta(seconds=300)
    for size, offset in ((500, 0), (1, 500)):
        stubber.add_response(
            "get_metric_data",
            {"MetricDataResults": [result(f"q{i}", float(offset + i), bucket) for i in range(size)]},
            {
                "MetricDataQueries": ANY,
                "StartTime": bucket,
                "EndTime": END,
                "ScanBy": "TimestampDescending",
            },
        )
    values = reader.fetch(queries)
    assert reader.calls == 2
    assert values[queries[0]] == Observation(0.0)
    assert values[queries[500]] == Observation(500.0)


class OverlappingCloudWatch:
    """Answers each call with no data; the first two calls each wait until both are in flight,
    so the fetch passes only if it makes calls at once."""

    def __init__(self) -> None:
        self.both_in_flight = threading.Barrier(2, timeout=10)
        self.requests: list[int] = []
        self.lock = threading.Lock()

    def get_metric_data(self, **request: object) -> dict:
        with self.lock:
            self.requests.append(len(request["MetricDataQueries"]))  # type: ignore[arg-type]
            first_two = len(self.requests) <= 2
        if first_two:
            self.both_in_flight.wait()
        return {"MetricDataResults": []}


def test_a_ticks_batches_are_fetched_at_once_and_every_one_answers():
    client = OverlappingCloudWatch()
    reader = CloudWatchMetrics(client, threads=5)
    queries = [query(f"m{i}") for i in range(2_001)]  # 5 calls of at most 500
    values = reader.fetch(queries)
    assert (reader.calls, sorted(client.requests)) == (5, [1, 500, 500, 500, 500])
    assert len(values) == 2_001 and all(v == Observation(None) for v in values.values())


def test_identical_queries_from_different_rules_are_fetched_once(stubbed):
    reader, stubber, _ = stubbed
    stubber.add_response(
        "get_metric_data",
        {"MetricDataResults": [result("q0", 42.0, END - timedelta(seconds=300))]},
        {
            "MetricDataQueries": [
                {
                    "Id": "q0",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "App",
                            "MetricName": "CPU",
                            "Dimensions": [{"Name": "Service", "Value": "web"}],
                        },
                        "Period": 300,
                        "Stat": "Average",
                    },
                    "ReturnData": True,
                }
            ],
            "StartTime": END - timedelta(seconds=300),
            "EndTime": END,
            "ScanBy": "TimestampDescending",
        },
    )
    values = reader.fetch([query(), query(), query()])
    assert reader.calls == 1 and values[query()].value == 42.0


def test_different_windows_share_one_call_over_their_least_common_multiple(stubbed):
    reader, stubber, _ = stubbed
    short, long = query("a", window=180), query("b", window=600)
    stubber.add_response(
        "get_metric_data",
        {
            "MetricDataResults": [
                # a 1800 s range holds ten 180 s buckets and three 600 s buckets; the last one counts
                {
                    "Id": "q0",
                    "Timestamps": [END - timedelta(seconds=180), END - timedelta(seconds=360)],
                    "Values": [1.0, 2.0],
                    "StatusCode": "Complete",
                },
                {
                    "Id": "q1",
                    "Timestamps": [END - timedelta(seconds=600)],
                    "Values": [3.0],
                    "StatusCode": "Complete",
                },
            ]
        },
        {"MetricDataQueries": ANY, "StartTime": END - timedelta(seconds=1800), "EndTime": END, "ScanBy": ANY},
    )
    values = reader.fetch([short, long])
    assert (values[short].value, values[long].value) == (1.0, 3.0)
    assert reader.calls == 1


def test_a_shared_range_never_holds_more_than_sixty_buckets_per_query():
    assert len(list(batches([query("a", window=60), query("b", window=86_400)]))) == 2
    assert len(list(batches([query("a", window=60), query("b", window=3_600)]))) == 1


def test_windows_with_a_huge_common_multiple_are_fetched_separately():
    odd = [
        query("a", window=60 * 7),
        query("b", window=60 * 11),
        query("c", window=60 * 13),
        query("d", window=60 * 17),
    ]
    assert len(list(batches(odd))) == 4


def test_different_window_ends_go_in_separate_calls():
    assert len(list(batches([query(end=END), query(end=END - timedelta(minutes=1))]))) == 2


def test_pagination_follows_next_token_and_merges_pages(stubbed):
    reader, stubber, _ = stubbed
    bucket = END - timedelta(seconds=300)
    stubber.add_response(
        "get_metric_data",
        {"MetricDataResults": [result("q0", 1.0, bucket, "PartialData")], "NextToken": "page-2"},
        {"MetricDataQueries": ANY, "StartTime": ANY, "EndTime": ANY, "ScanBy": ANY},
    )
    stubber.add_response(
        "get_metric_data",
        {"MetricDataResults": [result("q1", 2.0, bucket)]},
        {"MetricDataQueries": ANY, "StartTime": ANY, "EndTime": ANY, "ScanBy": ANY, "NextToken": "page-2"},
    )
    values = reader.fetch([query("a"), query("b")])
    assert [values[query("a")].value, values[query("b")].value] == [1.0, 2.0]
    assert reader.calls == 2


def test_per_query_error_marks_only_that_query(stubbed):
    reader, stubber, _ = stubbed
    bucket = END - timedelta(seconds=300)
    failed = result("q1", None, bucket, "InternalError") | {"Messages": [{"Code": "InternalError", "Value": "boom"}]}
    stubber.add_response(
        "get_metric_data",
        {"MetricDataResults": [result("q0", 5.0, bucket), failed]},
        {"MetricDataQueries": ANY, "StartTime": ANY, "EndTime": ANY, "ScanBy": ANY},
    )
    values = reader.fetch([query("a"), query("b")])
    assert values[query("a")] == Observation(5.0)
    assert values[query("b")].error == "InternalError: boom"


def test_missing_datapoint_is_none_not_error(stubbed):
    reader, stubber, _ = stubbed
    stubber.add_response(
        "get_metric_data",
        {"MetricDataResults": [result("q0", None, END)]},
        {"MetricDataQueries": ANY, "StartTime": ANY, "EndTime": ANY, "ScanBy": ANY},
    )
    assert reader.fetch([query()])[query()] == Observation(None)


def test_throttling_is_retried_with_backoff(stubbed):
    reader, stubber, sleeps = stubbed
    stubber.add_client_error("get_metric_data", "Throttling", "Rate exceeded", 400)
    stubber.add_client_error("get_metric_data", "Throttling", "Rate exceeded", 400)
    stubber.add_response(
        "get_metric_data",
        {"MetricDataResults": [result("q0", 7.0, END - timedelta(seconds=300))]},
        {"MetricDataQueries": ANY, "StartTime": ANY, "EndTime": ANY, "ScanBy": ANY},
    )
    assert reader.fetch([query()])[query()].value == 7.0
    assert reader.calls == 3 and len(sleeps) == 2


def test_throttling_that_persists_fails_the_batch_not_the_tick(stubbed):
    reader, stubber, _ = stubbed
    for _ in range(5):
        stubber.add_client_error("get_metric_data", "Throttling", "Rate exceeded", 400)
    observation = reader.fetch([query()])[query()]
    assert observation.value is None and "Throttling" in (observation.error or "")


def test_permanent_error_is_not_retried(stubbed):
    reader, stubber, sleeps = stubbed
    stubber.add_client_error("get_metric_data", "InvalidParameterValue", "bad", 400)
    assert reader.fetch([query()])[query()].error
    assert reader.calls == 1 and sleeps == []


@pytest.mark.parametrize(
    ("statistic", "expected"),
    [("Average", 20.0), ("Maximum", 30.0), ("Minimum", 10.0), ("Sum", 60.0), ("SampleCount", 3.0)],
)
def test_basic_statistics_over_the_trailing_window_against_moto(statistic: str, expected: float):
    with mock_aws():
        client = boto3.client("cloudwatch", region_name="us-east-1")
        for minutes_before, value in ((4, 10.0), (3, 20.0), (1, 30.0)):
            client.put_metric_data(
                Namespace="App",
                MetricData=[
                    {
                        "MetricName": "CPU",
                        "Dimensions": [{"Name": "Service", "Value": "web"}],
                        "Timestamp": END - timedelta(minutes=minutes_before),
                        "Value": value,
                    }
                ],
            )
        # outside the window: must not count
        client.put_metric_data(
            Namespace="App",
            MetricData=[
                {
                    "MetricName": "CPU",
                    "Dimensions": [{"Name": "Service", "Value": "web"}],
                    "Timestamp": END - timedelta(minutes=6),
                    "Value": 1000.0,
                }
            ],
        )
        values = CloudWatchMetrics(client).fetch([query(statistic=statistic)])
        assert values[query(statistic=statistic)].value == pytest.approx(expected)
