"""Heartbeats decided purely: the due minute, the minutes a sweep reads, what a ping does and
what the sweep does to a heartbeat found in a due entry."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from alerting.models.heartbeats import Heartbeat, HeartbeatState
from alerting.sources.heartbeats import (
    MAX_FAILURE_REASON,
    due_minute,
    entry_minute,
    minutes_to_sweep,
    ping,
    sweep,
    watched_from,
)
from tests.factories import T0

S = timedelta(seconds=1)
M = timedelta(minutes=1)


def beat(**overrides: Any) -> Heartbeat:
    fields = {"heartbeat_id": "nightly", "name": "Nightly backup", "period_seconds": 600, "grace_seconds": 300}
    return Heartbeat.model_validate(fields | overrides)


def state(last: datetime = T0, **overrides: Any) -> HeartbeatState:
    fields = {"heartbeat_id": "nightly", "since": last, "last_ping_at": last, "indexed": due_minute(last + 15 * M)}
    fields["version"] = 3
    return HeartbeatState.model_validate(fields | overrides)


@pytest.mark.parametrize(
    ("due", "minute"),
    [(T0, T0), (T0 + S, T0 + M), (T0 + 59 * S, T0 + M), (T0 + M, T0 + M)],
)
def test_due_minute_is_the_first_whole_minute_at_or_after_the_due_time(due, minute):
    assert due_minute(due) == minute


def test_an_entry_never_goes_to_a_minute_the_sweep_may_have_read():
    assert entry_minute(T0 + 10 * M, T0) == T0 + 10 * M
    assert entry_minute(T0 - 10 * M, T0 + 30 * S) == T0 + M  # overdue after a shorter period: next minute


@pytest.mark.parametrize(
    ("swept", "tick", "minutes"),
    [
        (T0 - M, T0, [T0]),  # the usual tick: one minute
        (T0 - 3 * M, T0 + 20 * S, [T0 - 2 * M, T0 - M, T0]),  # missed ticks are caught up
        (T0, T0, []),  # a duplicated tick
        (T0 + 5 * M, T0, []),  # a late tick
        (None, T0, [T0 - 2 * M, T0 - M, T0]),  # the first sweep looks a window back
        (T0 - 10 * M, T0, [T0 - 9 * M, T0 - 8 * M, T0 - 7 * M]),  # far behind: a window a tick, oldest first
    ],
)
def test_a_sweep_reads_the_minutes_since_the_last_it_finished_at_most_a_window(swept, tick, minutes):
    assert minutes_to_sweep(swept, tick, window=3) == minutes


def test_a_new_heartbeat_counts_from_its_creation():
    first = watched_from(beat(), T0 + 10 * S)
    assert (first.since, first.last_ping_at, first.indexed) == (T0 + 10 * S, None, T0 + 16 * M)
    assert (first.pings, first.version) == (0, 1)


def test_a_heartbeat_enabled_again_counts_from_then_and_is_up():
    again = watched_from(beat(), T0 + 120 * M, state(down_since=T0 + 15 * M, indexed=None, pings=7))
    assert (again.since, again.last_ping_at, again.down_since, again.indexed) == (T0 + 120 * M, T0, None, T0 + 135 * M)
    assert (again.pings, again.version) == (7, 4)


def test_a_first_ping_counts_from_itself():
    step = ping(beat(), state(last_ping_at=None), T0 + 5 * M)
    assert step.state is not None and (step.state.since, step.state.last_ping_at) == (T0 + 5 * M, T0 + 5 * M)


# -- pings -------------------------------------------------------------------------------------------


def test_a_ping_moves_the_due_entry_and_alerts_nobody_while_up():
    step = ping(beat(), state(), T0 + 5 * M)
    assert step.state is not None
    assert (step.state.since, step.state.last_ping_at) == (T0 + 5 * M, T0 + 5 * M)
    assert (step.state.pings, step.state.version) == (1, 4)
    assert (step.drop, step.add, step.state.indexed) == (T0 + 15 * M, T0 + 20 * M, T0 + 20 * M)
    assert step.signal is None


def test_a_ping_in_the_same_due_minute_writes_the_state_alone():
    step = ping(beat(), state(T0 + 10 * S), T0 + 20 * S)
    assert step.state is not None and step.state.last_ping_at == T0 + 20 * S
    assert (step.drop, step.add) == (None, None)


def test_a_ping_resolves_a_heartbeat_that_was_down():
    step = ping(beat(), state(down_since=T0 + 15 * M, indexed=None), T0 + 20 * M)
    assert step.state is not None and step.state.down_since is None
    assert (step.drop, step.add) == (None, T0 + 35 * M)
    assert step.signal is not None
    assert (step.signal.firing, step.signal.at, step.signal.origin) == (False, T0 + 20 * M, "heartbeat:nightly")


def test_a_failure_fires_at_once_with_the_jobs_reason_capped_and_still_moves_the_due_time():
    step = ping(beat(), state(), T0 + 5 * M, failure="x" * 2000)
    assert step.state is not None and step.state.down_since == T0 + 5 * M
    assert step.add == T0 + 20 * M
    assert step.signal is not None and step.signal.firing and step.signal.at == T0 + 5 * M
    assert step.signal.reason == "x" * MAX_FAILURE_REASON
    assert ping(beat(), state(), T0, failure="  ").signal.reason == "the job reported a failure"  # type: ignore[union-attr]


def test_a_failure_while_down_keeps_the_time_it_went_down():
    step = ping(beat(), state(down_since=T0 + 15 * M, indexed=None), T0 + 20 * M, failure="disk full")
    assert step.state is not None and step.state.down_since == T0 + 15 * M
    assert step.signal is not None and step.signal.firing


@pytest.mark.parametrize("failure", [None, "disk full"])
def test_a_disabled_heartbeat_records_pings_and_alerts_nothing(failure):
    step = ping(beat(enabled=False), state(down_since=T0, indexed=None), T0 + 5 * M, failure=failure)
    assert step.state is not None and (step.state.pings, step.state.down_since) == (1, None)
    assert step.signal is None


def test_a_ping_older_than_the_last_one_changes_nothing():
    assert ping(beat(), state(T0 + M), T0 + 59 * S) == (None, None, None, None)


# -- the sweep ---------------------------------------------------------------------------------------


def test_silence_past_period_and_grace_marks_it_down_and_fires_as_of_its_due_time():
    step = sweep(beat(), state(), T0 + 16 * M)
    assert step.state is not None
    assert (step.state.down_since, step.state.indexed, step.state.version) == (T0 + 15 * M, None, 4)
    assert step.signal is not None
    assert (step.signal.firing, step.signal.at) == (True, T0 + 15 * M)
    assert step.signal.reason == "no ping since 2026-11-26T16:00:00Z (period 600 s + grace 300 s)"
    assert step.signal.labels == {"heartbeat": "nightly"}


def test_due_exactly_at_the_tick_fires():
    assert sweep(beat(), state(), T0 + 15 * M).signal is not None


def test_a_heartbeat_down_already_sends_its_firing_again_and_writes_nothing():
    step = sweep(beat(), state(down_since=T0 + 15 * M, indexed=None), T0 + 30 * M)
    assert step.state is None
    assert step.signal is not None and (step.signal.firing, step.signal.at) == (True, T0 + 15 * M)


def test_an_entry_left_behind_by_a_ping_costs_nothing_more():
    pinged = state(T0 + 10 * M, indexed=T0 + 25 * M)
    assert sweep(beat(), pinged, T0 + 15 * M) == (None, None, None, None)


def test_a_heartbeat_not_yet_due_after_a_longer_period_moves_its_entry():
    step = sweep(beat(period_seconds=3600), state(), T0 + 15 * M)
    assert step.state is not None and step.state.indexed == T0 + 65 * M
    assert (step.drop, step.add, step.signal) == (None, T0 + 65 * M, None)


@pytest.mark.parametrize(("heartbeat", "found"), [(None, state()), (beat(), None), (beat(enabled=False), state())])
def test_a_deleted_or_disabled_heartbeat_is_left_alone(heartbeat, found):
    assert sweep(heartbeat, found, T0 + 16 * M) == (None, None, None, None)
