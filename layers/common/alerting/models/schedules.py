"""On-call schedules: who is paged now. A rotation hands off at a local wall-clock time in an
IANA time zone (a daily 09:00 handoff stays 09:00 across DST); an override wins for its period.
Participants are channel ids (a person's SMS, e-mail or Slack channel)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, ClassVar, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from alerting.models.common import Model, ResourceId, Stored, UtcDatetime, within_bounds


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; a ValueError (a 422 naming the field) for an unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {name!r} (e.g. 'Europe/Berlin')") from None


TimeZoneName = Annotated[str, Field(min_length=1, max_length=64, examples=["Europe/Berlin"])]


def known_zone(name: str) -> str:
    zone(name)
    return name


class ShiftUnit(StrEnum):
    hours = "hours"  # elapsed time: a 12-hour shift is 12 hours long, DST or not
    days = "days"  # local wall-clock time from here on
    weeks = "weeks"


class Shift(Model):
    every: Annotated[int, Field(ge=1, le=1000, strict=True)] = 1
    unit: ShiftUnit = ShiftUnit.weeks


class Rotation(Model):
    participants: Annotated[list[ResourceId], Field(min_length=1, max_length=100)]
    starts_at: datetime = Field(description="Local time of the first handoff, in the schedule's time_zone")
    shift: Shift = Shift()

    @field_validator("starts_at")
    @classmethod
    def _local(cls, value: datetime) -> datetime:
        return within_bounds(value.replace(tzinfo=None))  # a wall-clock time; an offset given is ignored


class Override(Model):
    participant: ResourceId
    starts_at: UtcDatetime
    ends_at: UtcDatetime

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


@dataclass(frozen=True)
class OnCall:
    participant: str
    starts_at: datetime  # this stretch of the participant's on-call began
    ends_at: datetime  # and hands off then
    override: bool = False


class ScheduleSpec(Model):
    schedule_id: ResourceId | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)]
    time_zone: TimeZoneName
    rotation: Rotation
    overrides: Annotated[list[Override], Field(max_length=100)] = []

    @field_validator("time_zone")
    @classmethod
    def _known(cls, value: str) -> str:
        return known_zone(value)

    @property
    def participants(self) -> list[str]:
        """Every channel the schedule may page."""
        return list(dict.fromkeys([*self.rotation.participants, *(o.participant for o in self.overrides)]))

    def on_call(self, at: datetime) -> OnCall:
        """Who is on call at ``at``: the last-listed override covering it, else the rotation's
        participant of that shift (the rotation extends backwards before its start)."""
        for override in reversed(self.overrides):
            if override.starts_at <= at < override.ends_at:
                return OnCall(override.participant, override.starts_at, override.ends_at, override=True)
        shift = self._shift_index(at)
        starts, ends = self._handoff(shift), self._handoff(shift + 1)
        for override in self.overrides:  # the stretch is cut short by overrides around ``at``
            if starts < override.ends_at <= at:
                starts = override.ends_at
            if at < override.starts_at < ends:
                ends = override.starts_at
        participants = self.rotation.participants
        return OnCall(participants[shift % len(participants)], starts, ends)

    def _handoff(self, index: int) -> datetime:
        """The UTC instant of handoff ``index`` (0 is the rotation's start)."""
        rotation = self.rotation
        tz = zone(self.time_zone)
        if rotation.shift.unit is ShiftUnit.hours:
            first = rotation.starts_at.replace(tzinfo=tz).astimezone(UTC)
            return first + timedelta(hours=index * rotation.shift.every)
        days = rotation.shift.every * (7 if rotation.shift.unit is ShiftUnit.weeks else 1)
        local = rotation.starts_at + timedelta(days=index * days)  # wall-clock arithmetic
        return local.replace(tzinfo=tz).astimezone(UTC)

    def _shift_index(self, at: datetime) -> int:
        rotation = self.rotation
        unit = {ShiftUnit.hours: 3600, ShiftUnit.days: 86_400, ShiftUnit.weeks: 7 * 86_400}[rotation.shift.unit]
        length = unit * rotation.shift.every
        first = self._handoff(0)
        index = int((at - first).total_seconds() // length)  # close; DST moves a handoff by an hour
        while self._handoff(index) > at:
            index -= 1
        while self._handoff(index + 1) <= at:
            index += 1
        return index


class Schedule(Stored, ScheduleSpec):
    ID_FIELD: ClassVar[str] = "schedule_id"
    schedule_id: ResourceId
