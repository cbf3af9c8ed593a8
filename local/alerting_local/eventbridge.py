"""EventBridge's CloudWatch alarm events, locally: moto keeps alarms but sends no events, so this
watches them (DescribeAlarms) and, for each alarm whose state changed since the last look, sends
the `CloudWatch Alarm State Change` event AWS would send to the function whose rule matches it.

Delivery is Lambda's asynchronous invocation: a failed event is run again up to the function's
``EventInvokeConfig.MaximumRetryAttempts``, then recorded in its ``OnFailure`` queue. The rule
(its pattern, its State, the function) comes from the template.

What moto cannot show is not sent: contributor events (moto has no Metrics Insights alarms),
composite alarms (moto has none), and a state that changed and changed back between two looks.
An alarm seen for the first time sends its state only if it changed since its creation
(`set-alarm-state` before the first look), as AWS would have sent it then.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from alerting.sources.alarm_events import ALARM_STATE_CHANGE
from alerting_local.lambda_runtime import LambdaContext
from alerting_local.template import ACCOUNT, Stack

Handler = Callable[[dict[str, Any], Any], Any]
INITIAL_STATE = {"value": "INSUFFICIENT_DATA", "reason": "Unchecked: Initial alarm creation"}


def metric_alarm(
    name: str,
    description: str,
    metric: tuple[str, str, dict[str, str]],
    threshold: float,
    tags: dict[str, str] | None = None,
    period: int = 60,
) -> dict[str, Any]:
    """`put_metric_alarm`'s arguments for a one-metric alarm over ``metric`` (namespace, name,
    dimensions), breaching above ``threshold``: what `aws cloudwatch put-metric-alarm` sends."""
    namespace, metric_name, dimensions = metric
    return {
        "AlarmName": name,
        "AlarmDescription": description,
        "Namespace": namespace,
        "MetricName": metric_name,
        "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
        "Statistic": "Average",
        "Period": period,
        "EvaluationPeriods": 1,
        "Threshold": threshold,
        "ComparisonOperator": "GreaterThanThreshold",
        "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    }


def aws_time(at: datetime) -> str:
    """As CloudWatch writes a state's time: 2019-10-02T17:04:40.989+0000."""
    at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}+0000"


def _configuration(alarm: dict[str, Any]) -> dict[str, Any]:
    """The alarm's `configuration` as the event carries it (DescribeAlarms' names, camelCased)."""
    if "AlarmRule" in alarm:
        return {"alarmRule": alarm["AlarmRule"], "description": alarm.get("AlarmDescription", "")}
    if alarm.get("MetricName"):
        queries = [
            {
                "Id": "m1",
                "MetricStat": {
                    "Metric": {k: alarm.get(k) for k in ("Namespace", "MetricName", "Dimensions")},
                    "Period": alarm.get("Period"),
                    "Stat": alarm.get("Statistic") or alarm.get("ExtendedStatistic"),
                },
                "ReturnData": True,
            }
        ]
    else:
        queries = alarm.get("Metrics") or []
    return {"description": alarm.get("AlarmDescription", ""), "metrics": [_query(q) for q in queries]}


def _query(query: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {"id": query.get("Id", ""), "returnData": query.get("ReturnData", True)}
    if "Expression" in query:
        found["expression"] = query["Expression"]
    if query.get("Label"):
        found["label"] = query["Label"]
    stat = query.get("MetricStat")
    if stat:
        metric = stat["Metric"]
        found["metricStat"] = {
            "metric": {
                "namespace": metric.get("Namespace", ""),
                "name": metric.get("MetricName", ""),
                "dimensions": {d["Name"]: d["Value"] for d in metric.get("Dimensions") or []},
            },
            "period": stat.get("Period"),
            "stat": stat.get("Stat"),
        }
    return found


def _matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """The rule's pattern on the fields it names (source, detail-type): one of the values listed."""
    return all(event.get(name) in values for name, values in pattern.items() if name in ("source", "detail-type"))


def state_change_event(alarm: dict[str, Any], previous: dict[str, str], region: str) -> dict[str, Any]:
    """The event AWS sends when ``alarm`` (a DescribeAlarms entry) has just left ``previous``."""
    updated: datetime = alarm["StateUpdatedTimestamp"]
    state = {"value": alarm["StateValue"], "reason": alarm.get("StateReason", ""), "timestamp": aws_time(updated)}
    if alarm.get("StateReasonData") not in (None, "", "{}"):
        state["reasonData"] = alarm["StateReasonData"]
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": ALARM_STATE_CHANGE,
        "source": "aws.cloudwatch",
        "account": ACCOUNT,
        "time": updated.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [alarm["AlarmArn"]],
        "detail": {
            "alarmName": alarm["AlarmName"],
            "state": state,
            "previousState": previous,
            "configuration": _configuration(alarm),
        },
    }


class AlarmEvents:
    """The template's EventBridge rules on CloudWatch alarm events, with moto's alarms as the source."""

    def __init__(self, stack: Stack, cloudwatch: Any, sqs: Any, handler: Callable[[str], Handler]) -> None:
        self.stack = stack
        self.cloudwatch = cloudwatch
        self.sqs = sqs
        self.rules = [  # (function, its rule's properties)
            (logical, event["Properties"])
            for logical, function in stack.resources_of("AWS::Serverless::Function").items()
            for event in function["Properties"].get("Events", {}).values()
            if event["Type"] == "EventBridgeRule"
        ]
        self.handlers = {logical: handler(logical) for logical, _ in self.rules}
        self.invocations = 0
        self._seen: dict[str, dict[str, str]] = {}  # alarm ARN → its state as last seen

    def poll(self) -> list[Any]:
        """Send an event for each alarm whose state changed since the last poll to every function
        whose enabled rule matches it; returns the functions' answers."""
        answers = []
        for event in self._changes():
            for function, rule in self.rules:
                if self._enabled(rule) and _matches(rule["Pattern"], event):
                    answers.append(self._invoke(function, event))
        return answers

    def _enabled(self, rule: dict[str, Any]) -> bool:
        return bool(self.stack.resolve(rule.get("State", "ENABLED")) == "ENABLED")

    def _changes(self) -> list[dict[str, Any]]:
        pages = self.cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        changed = []
        for page in pages:
            for alarm in [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]:
                updated = alarm["StateUpdatedTimestamp"]
                state = {
                    "value": alarm["StateValue"],
                    "reason": alarm.get("StateReason", ""),
                    "timestamp": aws_time(updated),
                }
                previous = self._seen.get(alarm["AlarmArn"])
                self._seen[alarm["AlarmArn"]] = state
                # Changed before the first look (AWS sent it then): told by the reason, not the times,
                # which moto takes from two clock reads that can straddle a millisecond.
                if previous is None and alarm.get("StateReason") != INITIAL_STATE["reason"]:
                    previous = INITIAL_STATE
                if previous is not None and previous["value"] != state["value"]:
                    changed.append(state_change_event(alarm, previous, self.stack.region))
        return sorted(changed, key=lambda e: e["detail"]["state"]["timestamp"])

    def _invoke(self, function: str, event: dict[str, Any]) -> Any:
        """Lambda's asynchronous invocation: the first run and its retries, then the OnFailure queue."""
        config = self.stack.template["Resources"][function]["Properties"].get("EventInvokeConfig", {})
        attempts = 1 + int(config.get("MaximumRetryAttempts", 2))
        error: Exception | None = None
        for _ in range(attempts):
            self.invocations += 1
            try:
                return self.handlers[function](event, LambdaContext(function))
            except Exception as exc:  # a function error: Lambda runs the event again
                error = exc
        destination = config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        if destination is not None:
            queue = self.sqs.get_queue_url(QueueName=str(self.stack.resolve(destination)).rsplit(":", 1)[-1])
            record = {
                "requestContext": {"condition": "RetriesExhausted", "approximateInvokeCount": attempts},
                "requestPayload": event,
                "responseContext": {"functionError": "Unhandled"},
                "responsePayload": {"errorType": type(error).__name__, "errorMessage": str(error)},
            }
            self.sqs.send_message(QueueUrl=queue["QueueUrl"], MessageBody=json.dumps(record))
        return {"failed": type(error).__name__}
