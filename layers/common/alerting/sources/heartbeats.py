"""Heartbeats (§16), decided purely: what a ping does, and what the sweep does to a heartbeat
found in a minute's due entries.

Every heartbeat that is up has one due entry, in the minute it falls due (``due_minute``): the
sweep reads only the minutes that passed since it last looked, so a sweep costs what is due,
not how many heartbeats exist. A ping moves the entry; the sweep checks the heartbeat itself
before it fires, so an entry left behind (a race, a shortened period) only costs a read.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from alerting.models.common import floor_minute
from alerting.models.heartbeats import Heartbeat, HeartbeatState
from alerting.models.signals import Signal

MINUTE = timedelta(minutes=1)
MAX_FAILURE_REASON = 500  # characters of a failing job's own words kept in the alert


def due_minute(due: datetime) -> datetime:
    """The first whole minute at or after ``due``: the sweep of that minute finds it due."""
    floor = floor_minute(due)
    return floor if floor == due else floor + MINUTE


def entry_minute(due: datetime, now: datetime) -> datetime:
    """Where a due entry written at ``now`` goes: its due minute, but never a minute the sweep
    may have read already (a heartbeat overdue since its period was shortened is due next)."""
    return max(due_minute(due), floor_minute(now) + MINUTE)


def minutes_to_sweep(swept: datetime | None, tick: datetime, window: int) -> list[datetime]:
    """The minutes a sweep at ``tick`` reads: those after the last one swept, up to the tick's,
    at most ``window`` of them (a sweep that fell behind catches up ``window`` minutes a tick,
    oldest first; the first sweep ever looks ``window`` minutes back)."""
    last = floor_minute(tick)
    start = swept + MINUTE if swept is not None else last - (window - 1) * MINUTE
    count = min(window, int((last - start) / MINUTE) + 1)
    return [start + i * MINUTE for i in range(max(count, 0))]


class Step(NamedTuple):
    """What to write for one heartbeat: its next state (None: nothing), the due entries to drop
    and to add, and the signal for the alert lifecycle."""

    state: HeartbeatState | None = None
    drop: datetime | None = None
    add: datetime | None = None
    signal: Signal | None = None


def ping(heartbeat: Heartbeat, state: HeartbeatState, at: datetime, failure: str | None = None) -> Step:
    """A ping at ``at`` (``failure``: a `/fail` ping and the job's reason, "" if it gave none).

    It is recorded (the next due time moves, even for a failure: the job did run), it resolves
    a heartbeat that was down, and a failure fires at once. A disabled heartbeat records its
    pings and alerts nothing. A ping older than the last one recorded changes nothing."""
    if state.last_ping_at is not None and at < state.last_ping_at:
        return Step()
    since = max(at, state.since)
    entry = due_minute(heartbeat.due_after(since))
    signal: Signal | None = None
    down_since: datetime | None = None
    if failure is not None and heartbeat.enabled:
        reason = failure.strip()[:MAX_FAILURE_REASON] or "the job reported a failure"
        signal, down_since = heartbeat.signal(True, at, reason), state.down_since or at
    elif state.down_since is not None and heartbeat.enabled:
        signal = heartbeat.signal(False, at, "pinged again")
    moved = state.model_copy(
        update={
            "since": since,
            "last_ping_at": at,
            "pings": state.pings + 1,
            "down_since": down_since,
            "indexed": entry,
            "version": state.version + 1,
        }
    )
    unchanged = state.indexed == entry
    return Step(moved, None if unchanged else state.indexed, None if unchanged else entry, signal)


def sweep(heartbeat: Heartbeat | None, state: HeartbeatState | None, tick: datetime) -> Step:
    """A heartbeat found in a due entry, at the sweep of ``tick``.

    Past its period and grace without a ping: marked down, and fires as of the time it fell due.
    Already down: its firing is sent again (the lifecycle calls it a duplicate; it matters only
    when the sweep that marked it stopped before it fired). Not yet due (pinged since, or its
    period lengthened): its entry moves to the minute it is due. Deleted or disabled: nothing."""
    if heartbeat is None or state is None or not heartbeat.enabled:
        return Step()
    if state.down_since is not None:
        return Step(signal=heartbeat.signal(True, state.down_since, heartbeat.silence(state.since)))
    due = heartbeat.due_after(state.since)
    if due <= tick:
        down = state.model_copy(update={"down_since": due, "indexed": None, "version": state.version + 1})
        return Step(down, signal=heartbeat.signal(True, due, heartbeat.silence(state.since)))
    if state.indexed == due_minute(due):
        return Step()
    moved = state.model_copy(update={"indexed": due_minute(due), "version": state.version + 1})
    return Step(moved, add=due_minute(due))


def watched_from(heartbeat: Heartbeat, now: datetime, state: HeartbeatState | None = None) -> HeartbeatState:
    """A heartbeat created, or enabled again, at ``now``: silence counts from then (an alert
    then, not for the time it was off), and it is up."""
    indexed = due_minute(heartbeat.due_after(now))
    if state is None:
        return HeartbeatState(heartbeat_id=heartbeat.heartbeat_id, since=now, indexed=indexed, version=1)
    return state.model_copy(update={"since": now, "down_since": None, "indexed": indexed, "version": state.version + 1})
