"""A CloudWatch client for the benchmarks: instant answers, so a tick's figures are its calls."""

from __future__ import annotations

from datetime import timedelta
from typing import Any


class FakeCloudWatch:
    """Answers GetMetricData instantly with the value each metric is set to, and ListMetrics
    with ``fleet`` hosts per namespace (500 a page)."""

    def __init__(self, fleet: int = 0) -> None:
        self.values: dict[str, float] = {}
        self.fleet = fleet
        self.list_calls = 0

    def list_metrics(self, **request: Any) -> dict[str, Any]:
        self.list_calls += 1
        start = int(request.get("NextToken", 0))
        hosts = range(start, min(start + 500, self.fleet))
        page: dict[str, Any] = {
            "Metrics": [
                {
                    "Namespace": request["Namespace"],
                    "MetricName": request["MetricName"],
                    "Dimensions": [{"Name": "Host", "Value": f"{request['Namespace']}-h{h}"}],
                }
                for h in hosts
            ]
        }
        if start + 500 < self.fleet:
            page["NextToken"] = str(start + 500)
        return page

    def get_metric_data(self, **request: Any) -> dict[str, Any]:
        results = []
        for query in request["MetricDataQueries"]:
            stat = query["MetricStat"]
            host = stat["Metric"]["Dimensions"][0]["Value"]
            bucket = request["EndTime"] - timedelta(seconds=stat["Period"])
            results.append(
                {
                    "Id": query["Id"],
                    "Timestamps": [bucket],
                    "Values": [self.values.get(host, 40.0)],
                    "StatusCode": "Complete",
                }
            )
        return {"MetricDataResults": results}
