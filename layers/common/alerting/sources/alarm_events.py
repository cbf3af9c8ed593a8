"""A CloudWatch alarm's state-change event as EventBridge delivers it and AWS documents it
(events/cloudwatch-*.json are AWS's own examples): read into models, or MalformedRecord.

Unknown fields are ignored (AWS adds fields, as it added `muteDetail`); what the system reads
must be there and of its type: the alarm's ARN, name, state value and state timestamp.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from alerting.errors import MalformedRecord

ALARM_STATE_CHANGE = "CloudWatch Alarm State Change"
CONTRIBUTOR_STATE_CHANGE = "CloudWatch Alarm Contributor State Change"
ALARM_ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):cloudwatch:(?P<region>[a-z0-9-]+):\d{12}:alarm:.+$")


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, alias_generator=to_camel, populate_by_name=True)


class AlarmMetric(_Part):
    namespace: str = ""
    name: str = ""
    dimensions: dict[str, str] = {}


class MetricStat(_Part):
    metric: AlarmMetric


class AlarmQuery(_Part):
    """One entry of `configuration.metrics`: a metric, or an expression (math, a Metrics Insights query)."""

    id: str = ""
    metric_stat: MetricStat | None = None
    expression: str = ""
    label: str = ""
    return_data: bool = True


class AlarmConfiguration(_Part):
    description: str = ""
    metrics: list[AlarmQuery] = []
    alarm_rule: str = ""  # a composite alarm's


class AlarmState(_Part):
    value: Literal["ALARM", "OK", "INSUFFICIENT_DATA"]
    reason: str = ""
    reason_data: str = ""
    timestamp: AwareDatetime  # "2019-10-02T17:04:40.989+0000"
    actions_suppressed_by: str = ""  # a composite alarm's suppressor


class Contributor(_Part):
    id: str = Field(min_length=1)
    attributes: dict[str, str] = {}


class MuteDetail(_Part):
    muted_by_arn: str = ""


class AlarmDetail(_Part):
    alarm_name: str = Field(min_length=1)
    state: AlarmState
    configuration: AlarmConfiguration = AlarmConfiguration()
    alarm_contributor: Contributor | None = None
    mute_detail: MuteDetail | None = None


class AlarmEvent(_Part):
    id: str = Field(min_length=1)
    detail_type: Literal["CloudWatch Alarm State Change", "CloudWatch Alarm Contributor State Change"] = Field(
        alias="detail-type"
    )
    source: Literal["aws.cloudwatch"]
    resources: list[str] = Field(min_length=1)
    detail: AlarmDetail

    @field_validator("resources")
    @classmethod
    def _names_an_alarm(cls, resources: list[str]) -> list[str]:
        if not ALARM_ARN.match(resources[0]):
            raise ValueError("the first resource must be an alarm's ARN")
        return resources

    @model_validator(mode="after")
    def _contributor_named(self) -> Self:
        if self.detail_type == CONTRIBUTOR_STATE_CHANGE and self.detail.alarm_contributor is None:
            raise ValueError("a contributor's state change must name its contributor (detail.alarmContributor)")
        return self

    @property
    def arn(self) -> str:
        return self.resources[0]

    @property
    def contributor(self) -> Contributor | None:
        """The time series this event is about (None: the alarm itself)."""
        return self.detail.alarm_contributor if self.detail_type == CONTRIBUTOR_STATE_CHANGE else None


def read_event(event: Mapping[str, Any]) -> AlarmEvent:
    """The event, or MalformedRecord naming the first field that does not fit (never its value)."""
    try:
        return AlarmEvent.model_validate(event)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "event"
        raise MalformedRecord(f"not a CloudWatch alarm state change: {where}: {first['msg']}") from None
