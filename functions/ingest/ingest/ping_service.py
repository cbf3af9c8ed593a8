"""A heartbeat's ping (`/ping/{key}`, `/ping/{key}/fail`) → its state, and the signal it gives
when it was down or failed (§16, `alerting.sources.heartbeats`).

The door has read the heartbeat its key names; this reads its state, writes the next one
(conditional on the version read: two pings at once, or a ping and the sweep, are decided one
after the other) and hands the signal to the alert lifecycle. Most pings are one write: the state
alone, or with its due entry moved when the due time crosses into another minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alerting.errors import ConcurrentUpdate, NotFound
from alerting.lifecycle.signals import signal_labels
from alerting.models.heartbeats import Heartbeat
from alerting.models.signals import SignalOutcome
from alerting.repositories.heartbeats import Found, HeartbeatRepository
from alerting.sources.heartbeats import ping
from ingest.alarm_service import Route, SignalReceiver, stack_topic_only

MAX_ATTEMPTS = 3  # another ping or the sweep wrote between the read and the write: read again


@dataclass(frozen=True)
class Recorded:
    heartbeat_id: str
    at: datetime  # the ping's time as recorded (whole seconds)
    alert: SignalOutcome | None = None  # what the lifecycle did with its signal (None: it gave none)


@dataclass
class Pings:
    heartbeats: HeartbeatRepository
    lifecycle: SignalReceiver
    route: Route = stack_topic_only

    def record(self, heartbeat: Heartbeat, now: datetime, failure: str | None = None) -> Recorded:
        """A ping of ``heartbeat`` at ``now`` (``failure``: from `/fail`, the job's reason or "");
        NotFound when it was deleted meanwhile."""
        at = now.replace(microsecond=0)  # the lifecycle orders a source's signals by the second
        found: Found = (heartbeat, self.heartbeats.state(heartbeat.heartbeat_id))
        for _ in range(MAX_ATTEMPTS):
            current, state = found
            if current is None or state is None:
                raise NotFound("heartbeat", heartbeat.heartbeat_id)
            step = ping(current, state, at, failure)
            if step.state is not None:
                try:
                    self.heartbeats.save(step.state, step.drop, step.add)
                except ConcurrentUpdate:
                    found = (current, self.heartbeats.state(heartbeat.heartbeat_id))
                    continue
            if step.signal is None:
                return Recorded(current.heartbeat_id, at)
            outcome = self.lifecycle.receive(step.signal, self.route(signal_labels(step.signal)), now)
            return Recorded(current.heartbeat_id, at, outcome)
        raise ConcurrentUpdate(f"heartbeat {heartbeat.heartbeat_id!r} kept changing while its ping was recorded")
