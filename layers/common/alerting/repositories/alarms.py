"""What a CloudWatch alarm says beyond its state-change event: its tags (ListTagsForResource),
threshold and description (DescribeAlarms). Handed its ``cloudwatch`` client.

Read once per alarm and kept for ``max_age`` on the events' clock (the state timestamps of the
events that ask), so a burst of one alarm's events costs two calls, and a tag added to an alarm
counts from its next event a few minutes later. An alarm deleted since its event has no tags;
``ClientError`` and ``BotoCoreError`` become ``MetricsUnavailable`` (the event is retried).
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from alerting.errors import MetricsUnavailable
from alerting.repositories.dynamo import error_code
from alerting.sources.cloudwatch_alarms import AlarmFacts

CACHE_AGE = timedelta(minutes=5)
ALARM_TYPES = ["MetricAlarm", "CompositeAlarm"]  # without AlarmTypes, DescribeAlarms returns no composite alarm
GONE = "ResourceNotFound"


class AlarmDirectory:
    def __init__(self, client: Any, *, max_age: timedelta = CACHE_AGE) -> None:
        self._client = client
        self._max_age = max_age
        self._held: dict[str, tuple[datetime, AlarmFacts]] = {}
        self._lock = threading.Lock()
        self.calls = 0

    def facts(self, arn: str, name: str, at: datetime) -> AlarmFacts:
        """The alarm's tags, threshold and description as of ``at`` (an event's time): read
        again once ``at`` is ``max_age`` past the last read. An older event uses the newer read."""
        with self._lock:
            held = self._held.get(arn)
        if held is not None and at - held[0] < self._max_age:
            return held[1]
        found = self._read(arn, name)
        with self._lock:
            self._held[arn] = (at, found)
        return found

    def _read(self, arn: str, name: str) -> AlarmFacts:
        try:
            self.calls += 1
            described = self._client.describe_alarms(AlarmNames=[name], AlarmTypes=ALARM_TYPES)
            alarms = [*described.get("MetricAlarms", []), *described.get("CompositeAlarms", [])]
            alarm = next((a for a in alarms if a.get("AlarmArn") == arn), None)
            if alarm is None:  # deleted since: its last events still resolve what it opened
                return AlarmFacts()
            self.calls += 1
            tags = self._client.list_tags_for_resource(ResourceARN=arn).get("Tags", [])
        except ClientError as exc:
            if error_code(exc) == GONE:
                return AlarmFacts()
            raise MetricsUnavailable(f"CloudWatch could not describe alarm {name!r}: {error_code(exc)}") from None
        except BotoCoreError as exc:
            raise MetricsUnavailable(
                f"CloudWatch could not be reached for alarm {name!r}: {type(exc).__name__}"
            ) from None
        threshold = alarm.get("Threshold")
        return AlarmFacts(
            tags={tag["Key"]: tag["Value"] for tag in tags},
            threshold=float(threshold) if threshold is not None else None,
            description=str(alarm.get("AlarmDescription") or ""),
        )
