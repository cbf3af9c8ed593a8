"""Mute windows: recurring local times (weekdays and a time range in an IANA time zone) when
matching alerts are recorded but not notified. A range may cross midnight; DST follows the zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, ClassVar

from pydantic import Field, field_validator

from alerting.models.common import Model, ResourceId, Stored
from alerting.models.schedules import TimeZoneName, known_zone, zone
from alerting.models.silences import Matcher, alert_labels

if TYPE_CHECKING:
    from alerting.models.alerts import Alert

Clock = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", examples=["02:00"])]


class Weekday(StrEnum):
    mon = "mon"
    tue = "tue"
    wed = "wed"
    thu = "thu"
    fri = "fri"
    sat = "sat"
    sun = "sun"


WEEK = list(Weekday)


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


class TimeRange(Model):
    weekdays: Annotated[list[Weekday], Field(max_length=7)] = []  # empty: every day
    start: Clock
    end: Clock  # an end at or before the start runs past midnight into the next day

    def covers(self, local: datetime) -> bool:
        """Whether the local wall-clock time ``local`` falls in the range (start inclusive)."""
        days = set(self.weekdays or WEEK)
        now = local.hour * 60 + local.minute
        start, end = _minutes(self.start), _minutes(self.end)
        today = WEEK[local.weekday()]
        if start < end:
            return today in days and start <= now < end
        yesterday = WEEK[(local - timedelta(days=1)).weekday()]
        return (today in days and now >= start) or (yesterday in days and now < end)


class MuteWindowSpec(Model):
    mute_window_id: ResourceId | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)]
    time_zone: TimeZoneName
    matchers: Annotated[list[Matcher], Field(max_length=20)] = []  # empty: every alert
    times: Annotated[list[TimeRange], Field(min_length=1, max_length=20)]
    enabled: bool = True

    @field_validator("time_zone")
    @classmethod
    def _known(cls, value: str) -> str:
        return known_zone(value)

    def active(self, at: datetime) -> bool:
        local = at.astimezone(zone(self.time_zone))
        return self.enabled and any(r.covers(local) for r in self.times)

    def covers(self, alert: Alert, at: datetime) -> bool:
        if not self.active(at):  # the time first: most windows are closed most of the time
            return False
        labels = alert_labels(alert)
        return all(m.matches(labels) for m in self.matchers)


class MuteWindow(Stored, MuteWindowSpec):
    ID_FIELD: ClassVar[str] = "mute_window_id"
    mute_window_id: ResourceId
