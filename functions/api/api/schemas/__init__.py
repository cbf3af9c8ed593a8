"""Request and response shapes that exist only at the API boundary.

The stored models (`Rule`, `Alert`, `Channel`...) live in the shared layer; these wrap them for
HTTP: update bodies that accept what a GET returned, the channel view without secret values,
the dry-run report, the error body; a backtest's in `api.schemas.backtests`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from alerting.evaluation import Outcome
from alerting.models.alerts import ConditionValue, SeriesStatus
from alerting.models.channels import ChannelFilters, ChannelSpec, ChannelType, Grouping, MessageTemplate
from alerting.models.common import ComputedDatetime, Model, UtcDatetime
from alerting.models.inhibitions import InhibitionSpec
from alerting.models.mute_windows import MuteWindowSpec
from alerting.models.policies import EscalationPolicySpec
from alerting.models.reports import Health
from alerting.models.rules import RuleSpec
from alerting.models.schedules import OnCall, ScheduleSpec

Version = Annotated[int, Field(ge=1, description="The version you read; must equal the stored one")]


class FieldError(BaseModel):
    field: str = Field(description="Dotted path into the request: `conditions.0.threshold`, `limit`")
    message: str


class ErrorBody(BaseModel):
    message: str
    errors: list[FieldError] = []
    correlation_id: str | None = None


class ReadFields(Model):
    """What a GET shows besides the spec; a PUT may send it back (the version must be the one read)."""

    version: Version | None = None
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None


class RuleUpdate(ReadFields, RuleSpec):
    """PUT body: the whole rule. `version` (or an `If-Match` header) is the version you read;
    the timestamps a GET returns are accepted and ignored, so a GET body can be sent back."""


class EscalationPolicyUpdate(EscalationPolicySpec, ReadFields):
    """PUT body: the whole policy, with the version you read (or an `If-Match` header)."""


class ScheduleUpdate(ScheduleSpec, ReadFields):
    """PUT body: the whole schedule, with the version you read (or an `If-Match` header)."""


class MuteWindowUpdate(MuteWindowSpec, ReadFields):
    """PUT body: the whole mute window, with the version you read (or an `If-Match` header)."""


class InhibitionUpdate(InhibitionSpec, ReadFields):
    """PUT body: the whole inhibition, with the version you read (or an `If-Match` header)."""


class OnCallView(Model):
    """Who a schedule pages at ``at``, and the stretch of their on-call around it."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schedule_id: str
    at: UtcDatetime
    participant: str
    from_: ComputedDatetime = Field(alias="from")  # a handoff may lie before the rotation began
    until: ComputedDatetime
    override: bool

    @classmethod
    def of(cls, schedule_id: str, at: datetime, found: OnCall) -> OnCallView:
        span = {"from": found.starts_at, "until": found.ends_at}
        return cls(schedule_id=schedule_id, at=at, participant=found.participant, override=found.override, **span)


class ChannelUpdate(ReadFields, ChannelSpec):
    """PUT body: the whole channel. A secret field left out (or sent back as the
    `{"secret": true, ...}` marker a GET shows) keeps the stored secret; `null` removes it."""


class AlertAction(Model):
    """Body of `POST /alerts/{alert_id}/resolve` and `/unack`."""

    by: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=200,
            description="Kept as a note only: the actor is who signed the request (the Cognito user or IAM principal)",
        ),
    ] = None
    note: Annotated[str, Field(max_length=2000)] = ""


class AckAction(AlertAction):
    """Body of `POST /alerts/{alert_id}/ack`: optionally for a while (a snooze)."""

    expires_in_seconds: Annotated[
        int | None,
        Field(ge=60, le=604_800, strict=True, description="The acknowledgement lapses then (back to firing)"),
    ] = None


class SecretField(Model):
    """Stands in for a secret target field in every response: whether it is set, never its value."""

    secret: Literal[True] = True
    set: bool


class ChannelView(Grouping):
    channel_id: str
    name: str
    type: ChannelType
    target: dict[str, object] = Field(description='Secret fields appear as {"secret": true, "set": bool}')
    filters: ChannelFilters
    template: MessageTemplate | None = None
    enabled: bool
    version: int
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None


class ChannelTestResult(Model):
    delivered: bool
    error: str | None = None
    retryable: bool | None = None
    provider_message_id: str | None = None
    http_status: int | None = None
    template_error: str | None = None


class ConditionResult(ConditionValue):
    resolve_threshold: float | None = None
    value: float | None = Field(description="The statistic over the window; null when CloudWatch had no data")
    breaching: bool | None = Field(description="null: missing data that does not count (ignore / alert)")
    error: str | None = None


Action = Literal["fire", "resolve", "suppressed", "nothing"]


class RuleTestResult(Model):
    """What the evaluator would decide for this rule if it ticked now. Nothing is written."""

    rule_id: str
    evaluated_at: UtcDatetime
    window_start: ComputedDatetime
    window_end: ComputedDatetime
    enabled: bool
    due: bool = Field(description="Whether this minute is one of the rule's evaluation ticks")
    conditions: list[ConditionResult]
    outcome: Outcome
    action: Action
    reason: str
    breaches: int = Field(description="Breaches among the last `out_of` counted evaluations, this one included")
    breaches_to_fire: int
    out_of: int
    pending: str = Field(description='"k of N": the breach count against the window, e.g. "1 of 3"')
    series_status: SeriesStatus
    open_alert_id: str | None = None
    series: dict[str, str] = Field(
        default={}, description="The series this result is about (a fleet rule's most urgent)"
    )
    fleet: list[SeriesTestResult] = Field(
        default=[], description="A fleet rule (a wildcard dimension): every series evaluated, most urgent first"
    )
    series_over_limit: int = Field(default=0, description="Series found beyond max_series, not evaluated")


class SeriesTestResult(Model):
    """One series of a fleet rule in a dry run."""

    series: dict[str, str]
    conditions: list[ConditionResult]
    outcome: Outcome
    action: Action
    reason: str
    pending: str
    series_status: SeriesStatus
    open_alert_id: str | None = None


class HealthReport(Health):
    reasons: list[str] = Field(description="Why the status is degraded; empty when ok")


class Point(Model):
    t: ComputedDatetime
    v: float


class ConditionSeries(Model):
    """One condition's statistic over time, beside the lines it is compared with."""

    label: str
    operator: str
    threshold: float
    warning_threshold: float | None = None
    resolve_threshold: float | None = None
    points: list[Point]


class RuleDatapoints(Model):
    """A rule's metric around a time range, one point per window (the value the rule compares)."""

    rule_id: str
    start: ComputedDatetime  # `end` less the default span, when left out
    end: ComputedDatetime
    period_seconds: int
    series: dict[str, str] = Field(description="The fleet series shown (its wildcard dimensions); {} otherwise")
    conditions: list[ConditionSeries]
