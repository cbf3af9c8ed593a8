"""A CloudWatch client over recorded datapoints: what rule tests replay, and the stand-in the
backtest's property test, the bench and the demo read from.

It answers the two calls the evaluator makes, as CloudWatch does:

- ``get_metric_data``: per query, buckets of ``Period`` aligned to ``StartTime`` (the alignment
  the tick's queries rely on), each the query's statistic over the raw samples in it; empty
  buckets left out; at most ``MaxDatapoints`` (100,800) datapoints a response, the rest behind
  ``NextToken``.
- ``list_metrics``: the metrics matching the namespace, name and dimension filters; with
  ``RecentlyActive=PT3H`` only those with a sample in the three hours before ``now``, else in
  the two weeks before it (``now`` is set by whoever drives the clock; None lists everything).

Statistics over raw values: SampleCount, Average, Sum, Minimum, Maximum; percentiles by nearest
rank; IQM; trimmed mean, winsorized mean, trimmed count and sum (``tm90``, ``TM(10%:90%)``,
``TM(150:1000)``...: values above the lower bound and up to the upper one) and ``PR(low:high)``.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from alerting.errors import InvalidInput

MAX_DATAPOINTS = 100_800
PAGE_METRICS = 500
RECENTLY = timedelta(hours=3)
LISTED_FOR = timedelta(days=14)  # ListMetrics without RecentlyActive: metrics with data in two weeks

MetricId = tuple[str, str, tuple[tuple[str, str], ...]]  # namespace, name, sorted dimensions
_SHORT = re.compile(r"^(p|tm|wm|tc|ts)(\d+(?:\.\d+)?)$")
_RANGED = re.compile(r"^(TM|WM|TC|TS|PR)\(([\d.]+%?)?:([\d.]+%?)?\)$")


def statistic(name: str, values: Sequence[float]) -> float | None:
    """``name`` over raw ``values`` (None when there are none, or none within a trimmed range)."""
    if not values:
        return None
    simple = _SIMPLE.get(name)
    if simple is not None:
        return simple(values)
    ordered = sorted(values)
    short = _SHORT.match(name)
    if short and short.group(1) == "p":
        return _percentile(ordered, float(short.group(2)))
    if name == "IQM":
        return _trimmed("TM", ordered, "25%", "75%")
    if short:
        return _trimmed(short.group(1).upper(), ordered, None, f"{short.group(2)}%")
    ranged = _RANGED.match(name)
    if ranged:
        return _trimmed(ranged.group(1), ordered, ranged.group(2), ranged.group(3))
    raise InvalidInput("statistic", f"{name!r} is not a statistic the recorded metrics compute")


_SIMPLE: dict[str, Callable[[Sequence[float]], float]] = {
    "SampleCount": lambda v: float(len(v)),
    "Average": lambda v: sum(v) / len(v),
    "Sum": lambda v: float(sum(v)),
    "Minimum": min,
    "Maximum": max,
}


def _percentile(ordered: Sequence[float], percent: float) -> float:
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _bound(ordered: Sequence[float], text: str | None, default: float) -> float:
    if not text:
        return default
    if text.endswith("%"):
        percent = float(text[:-1])
        return -math.inf if percent == 0 else _percentile(ordered, percent)
    return float(text)


def _trimmed(kind: str, ordered: Sequence[float], low_text: str | None, high_text: str | None) -> float | None:
    low, high = _bound(ordered, low_text, -math.inf), _bound(ordered, high_text, math.inf)
    if kind == "PR":
        return 100 * sum(1 for v in ordered if low < v <= high) / len(ordered)
    if kind == "WM":
        clamped = [min(max(v, ordered[0] if low == -math.inf else low), high) for v in ordered]
        return sum(clamped) / len(clamped)
    kept = [v for v in ordered if low < v <= high]
    if kind == "TC":
        return float(len(kept))
    if not kept:
        return None
    return sum(kept) if kind == "TS" else sum(kept) / len(kept)


@dataclass
class _Samples:
    times: list[int] = field(default_factory=list)  # epoch seconds, ascending
    values: list[float] = field(default_factory=list)


class RecordedCloudWatch:
    """Answers GetMetricData and ListMetrics from samples ``put`` into it; counts its calls."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now
        self.calls: Counter[str] = Counter()
        self._samples: dict[MetricId, _Samples] = {}

    def put(self, namespace: str, name: str, dimensions: Mapping[str, str], at: datetime, value: float) -> None:
        samples = self._samples.setdefault((namespace, name, tuple(sorted(dimensions.items()))), _Samples())
        when = int(at.timestamp())
        index = bisect.bisect_right(samples.times, when)
        samples.times.insert(index, when)
        samples.values.insert(index, float(value))

    # -- GetMetricData ----------------------------------------------------------------------

    def get_metric_data(self, **request: Any) -> dict[str, Any]:
        self.calls["get_metric_data"] += 1
        start, end = int(request["StartTime"].timestamp()), int(request["EndTime"].timestamp())
        descending = request.get("ScanBy", "TimestampDescending") == "TimestampDescending"
        answers = [(q["Id"], self._buckets(q["MetricStat"], start, end)) for q in request["MetricDataQueries"]]
        if descending:
            answers = [(qid, points[::-1]) for qid, points in answers]
        flat = [(index, point) for index, (_, points) in enumerate(answers) for point in points]
        skip = int(request.get("NextToken", 0))
        room = int(request.get("MaxDatapoints", MAX_DATAPOINTS))
        shown: list[list[tuple[int, float]]] = [[] for _ in answers]
        for index, point in flat[skip : skip + room]:
            shown[index].append(point)
        more = skip + room < len(flat)
        response: dict[str, Any] = {
            "MetricDataResults": [
                {
                    "Id": qid,
                    "Label": qid,
                    "Timestamps": [datetime.fromtimestamp(t, UTC) for t, _ in points],
                    "Values": [v for _, v in points],
                    "StatusCode": "PartialData" if more else "Complete",
                }
                for (qid, _), points in zip(answers, shown, strict=True)
            ],
            "Messages": [],
        }
        if more:
            response["NextToken"] = str(skip + room)
        return response

    def _buckets(self, stat: Mapping[str, Any], start: int, end: int) -> list[tuple[int, float]]:
        metric, period = stat["Metric"], int(stat["Period"])
        key = (
            metric["Namespace"],
            metric["MetricName"],
            tuple(sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions", []))),
        )
        samples = self._samples.get(key)
        if samples is None:
            return []
        first, last = bisect.bisect_left(samples.times, start), bisect.bisect_left(samples.times, end)
        grouped: dict[int, list[float]] = {}
        for when, value in zip(samples.times[first:last], samples.values[first:last], strict=True):
            grouped.setdefault(start + (when - start) // period * period, []).append(value)
        points = ((bucket, statistic(stat["Stat"], values)) for bucket, values in sorted(grouped.items()))
        return [(bucket, value) for bucket, value in points if value is not None]

    # -- ListMetrics ------------------------------------------------------------------------

    def list_metrics(self, **request: Any) -> dict[str, Any]:
        self.calls["list_metrics"] += 1
        since = None
        if self.now is not None:
            since = self.now - (RECENTLY if request.get("RecentlyActive") else LISTED_FOR)
        found = [
            {"Namespace": ns, "MetricName": name, "Dimensions": [{"Name": k, "Value": v} for k, v in dims]}
            for (ns, name, dims), samples in sorted(self._samples.items())
            if ns == request["Namespace"]
            and name == request.get("MetricName", name)
            and _matches(dict(dims), request.get("Dimensions", []))
            and self._reported(samples, since)
        ]
        skip = int(request.get("NextToken", 0))
        page: dict[str, Any] = {"Metrics": found[skip : skip + PAGE_METRICS]}
        if skip + PAGE_METRICS < len(found):
            page["NextToken"] = str(skip + PAGE_METRICS)
        return page

    def _reported(self, samples: _Samples, since: datetime | None) -> bool:
        if since is None or self.now is None:
            return True
        low, high = int(since.timestamp()), int(self.now.timestamp())
        index = bisect.bisect_left(samples.times, low)
        return index < len(samples.times) and samples.times[index] <= high


def _matches(dimensions: Mapping[str, str], filters: Sequence[Mapping[str, str]]) -> bool:
    """ListMetrics' dimension filters: each named dimension present, with the value when given."""
    return all(
        f["Name"] in dimensions and dimensions[f["Name"]] == f.get("Value", dimensions[f["Name"]]) for f in filters
    )
