"""The CloudWatch adapters, each handed its ``cloudwatch`` client: GetMetricData
(`CloudWatchMetrics`: a tick's batches, a backtest's windows, a rule's history) and ListMetrics
(`CloudWatchListing`: a fleet's series). What to ask for is decided in ``alerting.metrics`` and
``alerting.discovery``; here are the calls, their pages and retries, and ``ClientError`` and
``BotoCoreError`` become ``MetricsUnavailable``.
"""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from alerting.errors import MetricsUnavailable
from alerting.evaluation import Observation
from alerting.metrics import MetricQuery, WindowRead, WindowValues, batches
from alerting.models.conditions import MetricSpec

FETCH_THREADS = 2  # GetMetricData calls at once per invocation: 16 workers at once stay under the account quota (50/s)
THROTTLING_CODES = frozenset({"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"})
RECENTLY_ACTIVE = "PT3H"  # the only value ListMetrics accepts


class CloudWatchMetrics:
    """Reads the value of each query's trailing window. Handed its ``cloudwatch`` client."""

    def __init__(
        self,
        client: Any,
        *,
        max_attempts: int = 5,
        base_delay: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
        threads: int = FETCH_THREADS,
    ) -> None:
        self._client = client
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._sleep = sleep
        self._threads = threads
        self._counting = threading.Lock()
        self.calls = 0

    def fetch(self, queries: Iterable[MetricQuery]) -> dict[MetricQuery, Observation]:
        """Every batch's call at once, a few at a time: a 10k-series tick is 20 calls of some
        250 ms each, which one after another take 5 s of the minute."""
        work = list(batches(queries))
        results: dict[MetricQuery, Observation] = {}
        if len(work) <= 1 or self._threads <= 1:
            for start, end, members in work:
                results.update(self._fetch_batch(start, end, members))
            return results
        contexts = [copy_context() for _ in work]  # what the caller's context carries goes along
        with ThreadPoolExecutor(max_workers=min(self._threads, len(work))) as pool:
            for found in pool.map(lambda context, batch: context.run(self._fetch_batch, *batch), contexts, work):
                results.update(found)
        return results

    def _fetch_batch(
        self, start: datetime, end: datetime, members: Sequence[MetricQuery]
    ) -> dict[MetricQuery, Observation]:
        ids = {f"q{i}": q for i, q in enumerate(members)}
        request: dict[str, Any] = {
            "MetricDataQueries": [_query(q, qid) for qid, q in ids.items()],
            "StartTime": start,
            "EndTime": end,
            "ScanBy": "TimestampDescending",
        }
        values: dict[str, dict[int, float]] = defaultdict(dict)
        errors: dict[str, str] = {}
        try:
            for page in self._pages(request):
                for result in page.get("MetricDataResults", []):
                    qid = result["Id"]
                    for timestamp, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=False):
                        values[qid][int(timestamp.timestamp())] = float(value)
                    if result.get("StatusCode") in ("InternalError", "Forbidden"):
                        messages = "; ".join(m.get("Value", "") for m in result.get("Messages", []))
                        errors[qid] = f"{result['StatusCode']}: {messages}".strip(": ")
        except MetricsUnavailable as exc:
            return {q: Observation(None, error=str(exc)) for q in members}

        out: dict[MetricQuery, Observation] = {}
        for qid, query in ids.items():
            if qid in errors:
                out[query] = Observation(None, error=errors[qid])
                continue
            # Buckets are labelled by their start; the one we want starts one window before the end.
            bucket = int(query.end.timestamp()) - query.window_seconds
            out[query] = Observation(values.get(qid, {}).get(bucket))
        return out

    def read_windows(
        self, reads: Sequence[WindowRead], progress: Callable[[int, int], None] | None = None
    ) -> WindowValues:
        """Every window value the ``reads`` cover, by (metric, length, end epoch); a window
        without data is absent. A query CloudWatch fails fails the whole read: a backtest over
        partial data would be wrong, not merely incomplete. ``progress(done, total)`` per call."""
        values: WindowValues = {}
        for done, read in enumerate(reads, start=1):
            request: dict[str, Any] = {
                "MetricDataQueries": [
                    _query(MetricQuery(*key, read.period, read.end), f"w{i}") for i, key in enumerate(read.metrics)
                ],
                "StartTime": read.start,
                "EndTime": read.end,
                "ScanBy": "TimestampAscending",
            }
            for page in self._pages(request):
                for result in page.get("MetricDataResults", []):
                    if result.get("StatusCode") in ("InternalError", "Forbidden"):
                        messages = "; ".join(m.get("Value", "") for m in result.get("Messages", []))
                        raise MetricsUnavailable(f"GetMetricData: {result['StatusCode']}: {messages}".strip(": "))
                    key = read.metrics[int(result["Id"][1:])]
                    for timestamp, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=False):
                        values[(key, read.period, int(timestamp.timestamp()) + read.period)] = float(value)
            if progress is not None:
                progress(done, len(reads))
        return values

    def history(
        self, metrics: Sequence[MetricSpec], period_seconds: int, start: datetime, end: datetime
    ) -> list[dict[datetime, float]]:
        """Each metric's statistic per `period_seconds` bucket in [start, end), oldest first (the
        dashboard's picture of a rule). At most 500 metrics; one call, paginated."""
        request: dict[str, Any] = {
            "MetricDataQueries": [
                _query(MetricQuery.for_metric(m, period_seconds, end), f"m{i}") for i, m in enumerate(metrics)
            ],
            "StartTime": start,
            "EndTime": end,
            "ScanBy": "TimestampAscending",
        }
        points: list[dict[datetime, float]] = [{} for _ in metrics]
        for page in self._pages(request):
            for result in page.get("MetricDataResults", []):
                series = points[int(result["Id"][1:])]
                for timestamp, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=False):
                    series[timestamp] = float(value)
        return [dict(sorted(series.items())) for series in points]

    def _pages(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every page of one GetMetricData request, following NextToken."""
        while True:
            page = self._call(request)
            yield page
            if not page.get("NextToken"):
                return
            request["NextToken"] = page["NextToken"]

    def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        for attempt in range(1, self._max_attempts + 1):
            with self._counting:
                self.calls += 1
            try:
                response: dict[str, Any] = self._client.get_metric_data(**request)
                return response
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                retryable = code in THROTTLING_CODES or status >= 500
                if not retryable or attempt == self._max_attempts:
                    raise MetricsUnavailable(f"GetMetricData failed: {code or status}") from exc
                # Full jitter: spreads retries of overlapping invocations.
                self._sleep(random.uniform(0, self._base_delay * 2 ** (attempt - 1)))
            except BotoCoreError as exc:  # a request botocore refuses to send: retrying cannot help
                raise MetricsUnavailable(f"GetMetricData failed: {type(exc).__name__}") from exc
        raise AssertionError("unreachable")


def _query(query: MetricQuery, query_id: str) -> dict[str, Any]:
    """One entry of ``MetricDataQueries``: the query's statistic per window-long bucket."""
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": query.namespace,
                "MetricName": query.name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in query.dimensions],
            },
            "Period": query.window_seconds,
            "Stat": query.statistic,
        },
        "ReturnData": True,
    }


class CloudWatchListing:
    """ListMetrics, every page, for ``alerting.discovery.MetricDirectory``."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls = 0

    def dimensions(self, metric: MetricSpec, *, recently_active: bool) -> list[dict[str, str]]:
        """Each listed metric's dimensions: ``metric``'s fixed dimensions filter by value, its
        wildcards by name; ``RecentlyActive`` (three hours) unless ``recently_active`` is False."""
        wildcards = metric.wildcards
        filters = [{"Name": k, "Value": v} if k not in wildcards else {"Name": k} for k, v in metric.dimensions.items()]
        request: dict[str, Any] = {"Namespace": metric.namespace, "MetricName": metric.name, "Dimensions": filters}
        if recently_active:
            request["RecentlyActive"] = RECENTLY_ACTIVE
        listed: list[dict[str, str]] = []
        try:
            while True:
                self.calls += 1
                page = self._client.list_metrics(**request)
                listed += [{d["Name"]: d["Value"] for d in m.get("Dimensions", [])} for m in page.get("Metrics", [])]
                token = page.get("NextToken")
                if not token:
                    return listed
                request["NextToken"] = token
        except (ClientError, BotoCoreError) as exc:
            raise MetricsUnavailable(f"ListMetrics failed: {type(exc).__name__}") from None
