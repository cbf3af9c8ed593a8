"""On-call schedules and mute windows: local wall-clock times in IANA time zones, across DST
changes and midnight; overrides win for their period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from alerting.models.mute_windows import MuteWindow
from alerting.models.schedules import Schedule


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def schedule(unit: str = "days", every: int = 1, starts_at: str = "2026-03-27T09:00:00", **extra: object) -> Schedule:
    return Schedule.model_validate(
        {
            "schedule_id": "primary",
            "name": "Primary",
            "time_zone": "Europe/Berlin",
            "rotation": {
                "participants": ["alice", "bob", "carol"],
                "starts_at": starts_at,
                "shift": {"every": every, "unit": unit},
            },
        }
        | extra
    )


@pytest.mark.parametrize(
    ("at", "who", "since"),
    [
        # Berlin moves from +01:00 to +02:00 on 2026-03-29 at 02:00: the 09:00 handoff stays 09:00 local
        ("2026-03-27T09:00:00+01:00", "alice", "2026-03-27T09:00:00+01:00"),
        ("2026-03-28T08:59:59+01:00", "alice", "2026-03-27T09:00:00+01:00"),
        ("2026-03-28T09:00:00+01:00", "bob", "2026-03-28T09:00:00+01:00"),
        ("2026-03-29T08:59:00+02:00", "bob", "2026-03-28T09:00:00+01:00"),  # that shift lasted 23 hours
        ("2026-03-29T09:00:00+02:00", "carol", "2026-03-29T09:00:00+02:00"),
        ("2026-03-30T09:00:00+02:00", "alice", "2026-03-30T09:00:00+02:00"),  # round the rotation again
        ("2026-03-26T10:00:00+01:00", "carol", "2026-03-26T09:00:00+01:00"),  # before the start: backwards
    ],
)
def test_daily_handoffs_stay_at_local_time_across_dst(at, who, since):
    on_call = schedule().on_call(utc(at))
    assert (on_call.participant, on_call.starts_at) == (who, utc(since))


def test_weekly_handoffs_across_the_autumn_change():
    weekly = schedule("weeks", starts_at="2026-10-19T09:00:00")  # Berlin leaves summer time on 10-25
    first = weekly.on_call(utc("2026-10-26T08:59:00+01:00"))
    assert (first.participant, first.ends_at) == ("alice", utc("2026-10-26T09:00:00+01:00"))
    assert (first.ends_at - first.starts_at).total_seconds() == 7 * 86_400 + 3600  # a week and the hour
    assert weekly.on_call(utc("2026-10-26T09:00:00+01:00")).participant == "bob"


def test_hourly_shifts_count_elapsed_time():
    twelve = schedule("hours", 12, starts_at="2026-03-28T21:00:00")  # 20:00 UTC
    assert twelve.on_call(utc("2026-03-29T07:59:00Z")).participant == "alice"
    nxt = twelve.on_call(utc("2026-03-29T08:00:00Z"))  # 12 h later: 10:00 local after the change, not 09:00
    assert (nxt.participant, nxt.starts_at) == ("bob", utc("2026-03-29T10:00:00+02:00"))


def test_an_override_wins_for_its_period_and_cuts_the_rotation_around_it():
    covered = schedule(
        overrides=[
            {"participant": "dave", "starts_at": "2026-03-28T18:00:00+01:00", "ends_at": "2026-03-28T22:00:00+01:00"}
        ]
    )
    during = covered.on_call(utc("2026-03-28T19:00:00+01:00"))
    assert (during.participant, during.override) == ("dave", True)
    assert during.ends_at == utc("2026-03-28T22:00:00+01:00")
    before = covered.on_call(utc("2026-03-28T12:00:00+01:00"))
    assert (before.participant, before.ends_at) == ("bob", utc("2026-03-28T18:00:00+01:00"))
    after = covered.on_call(utc("2026-03-28T23:00:00+01:00"))
    assert (after.participant, after.starts_at) == ("bob", utc("2026-03-28T22:00:00+01:00"))
    assert covered.participants == ["alice", "bob", "carol", "dave"]


def test_unknown_time_zones_and_backwards_overrides_are_refused():
    with pytest.raises(ValidationError, match="time_zone"):
        schedule(time_zone="Mars/Olympus")
    with pytest.raises(ValidationError, match="ends_at must be after starts_at"):
        schedule(
            overrides=[{"participant": "dave", "starts_at": "2026-03-28T18:00:00Z", "ends_at": "2026-03-28T17:00:00Z"}]
        )


@pytest.mark.parametrize(
    ("starts_at", "field"),
    [
        ("0001-01-01T00:00:00", "rotation.starts_at"),  # a handoff before it would be before year 1
        ("0001-01-01T00:00:00+05:00", "rotation.starts_at"),  # the offset is dropped, the year stays
        ("9999-12-31T23:00:00", "rotation.starts_at"),  # the next handoff would be after 9999
    ],
)
def test_a_rotation_start_near_the_ends_of_the_calendar_is_refused(starts_at, field):
    with pytest.raises(ValidationError) as caught:
        schedule(unit="weeks", every=1000, starts_at=starts_at)
    assert [".".join(map(str, e["loc"])) for e in caught.value.errors()] == [field]
    assert "must be from 1900-01-01T00:00:00Z to before 9000-01-01T00:00:00Z" in str(caught.value)


@pytest.mark.parametrize("at", ["1900-01-01T00:00:00Z", "8999-12-31T23:59:59Z"])
@pytest.mark.parametrize("starts_at", ["1900-01-01T00:00:00", "8999-12-31T23:59:00"])
@pytest.mark.parametrize(("unit", "every"), [("weeks", 1000), ("hours", 1)])
def test_on_call_answers_at_the_edges_of_the_accepted_range(at, starts_at, unit, every):
    found = schedule(unit=unit, every=every, starts_at=starts_at).on_call(utc(at))
    assert found.starts_at <= utc(at) < found.ends_at


def mute(times: list[dict], zone: str = "America/New_York") -> MuteWindow:
    return MuteWindow.model_validate({"mute_window_id": "w", "name": "W", "time_zone": zone, "times": times})


@pytest.mark.parametrize(
    ("at", "active"),
    [
        # Sunday maintenance 02:00-05:00 New York; 2026-11-01 is a Sunday and the autumn change
        ("2026-11-01T01:59:00-04:00", False),
        ("2026-11-01T02:00:00-05:00", True),  # after the fall back: 02:00 exists once, in EST
        ("2026-11-01T04:59:00-05:00", True),
        ("2026-11-01T05:00:00-05:00", False),
        ("2026-11-08T03:00:00-05:00", True),
        ("2026-11-07T03:00:00-05:00", False),  # a Saturday
        ("2026-03-08T03:30:00-04:00", True),  # spring forward: 02:00-03:00 never happens that day
    ],
)
def test_a_sunday_window_follows_new_york_time(at, active):
    window = mute([{"weekdays": ["sun"], "start": "02:00", "end": "05:00"}])
    assert window.active(utc(at)) is active


@pytest.mark.parametrize(
    ("at", "active"),
    [
        ("2026-12-04T21:59:00+01:00", False),  # Friday
        ("2026-12-04T22:00:00+01:00", True),
        ("2026-12-05T05:59:00+01:00", True),  # Saturday morning belongs to Friday's night
        ("2026-12-05T06:00:00+01:00", False),
        ("2026-12-05T23:00:00+01:00", False),  # Saturday night is not in the list
        ("2026-12-07T01:00:00+01:00", False),  # Monday early: Sunday is not in the list
    ],
)
def test_a_window_crossing_midnight_belongs_to_the_day_it_starts(at, active):
    window = mute([{"weekdays": ["fri"], "start": "22:00", "end": "06:00"}], zone="Europe/Berlin")
    assert window.active(utc(at)) is active


def test_a_window_without_weekdays_is_every_day_and_disabled_ones_never_apply():
    daily = mute([{"start": "00:00", "end": "24:00"}], zone="Asia/Tokyo")
    assert daily.active(utc("2026-12-02T12:00:00Z"))
    assert not daily.model_copy(update={"enabled": False}).active(utc("2026-12-02T12:00:00Z"))
    with pytest.raises(ValidationError, match="start"):
        mute([{"start": "25:00", "end": "01:00"}])


ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/St_Johns", "UTC"]


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    unit=st.sampled_from(["hours", "days", "weeks"]),
    every=st.integers(1, 3),
    offset_hours=st.integers(-24 * 400, 24 * 400),
    minute=st.integers(0, 59),
    handoff=st.sampled_from(["09:30", "02:30", "00:00"]),  # 02:30 falls in some spring gaps
)
def test_every_instant_has_one_participant_whose_stretch_contains_it(zone, unit, every, offset_hours, minute, handoff):
    """Across every DST change of two years in zones with 30-minute and half-hour-shifting
    offsets: the stretch around an instant contains it, and its ends hand over."""
    s = schedule(unit, every, starts_at=f"2026-03-27T{handoff}:00", time_zone=zone)
    at = utc("2026-03-27T09:30:00+00:00") + timedelta(hours=offset_hours, minutes=minute)
    found = s.on_call(at)
    assert found.starts_at <= at < found.ends_at
    assert s.on_call(found.starts_at).participant == found.participant
    assert s.on_call(found.ends_at).participant != found.participant  # three people rotate
