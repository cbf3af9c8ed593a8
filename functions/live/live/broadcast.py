"""Push each alert transition to every live connection whose subscription matches it.

Connections are read once per batch. Pushes go out in parallel (a post is one HTTPS round
trip); a connection that is gone (410) is forgotten and skipped for the rest of the batch. A
push that fails otherwise is counted and not retried by the stream: a live view must not fall
behind, and a page re-reads ``/alerts`` whenever it reconnects.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from alerting.live import live_message
from alerting.repositories.connections import Connection, PushFailed
from alerting.stream import Notice

WORKERS = 8


@dataclass
class BroadcastReport:
    transitions: int = 0
    pushed: int = 0
    gone: int = 0
    failed: int = 0


class Connections(Protocol):
    """What the broadcaster needs of the connection store."""

    def all(self, now: datetime) -> list[Connection]: ...

    def disconnect(self, connection_id: str) -> None: ...


@dataclass
class Broadcaster:
    connections: Connections
    push: Callable[[str, bytes], bool]  # False: the connection is gone

    def broadcast(self, notices: Sequence[Notice], now: datetime) -> BroadcastReport:
        report = BroadcastReport(transitions=len(notices))
        if not notices:
            return report
        live = self.connections.all(now)
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            for notice in notices:
                message = live_message(notice)
                targets = [c.connection_id for c in live if c.subscription.matches(notice.alert)]
                # Each push runs in a copy of this context (the logger's keys and other contextvars).
                futures = [pool.submit(contextvars.copy_context().run, self._push, c, message) for c in targets]
                outcomes = [future.result() for future in futures]
                gone = {cid for cid, outcome in zip(targets, outcomes, strict=True) if outcome == "gone"}
                report.pushed += outcomes.count("pushed")
                report.failed += outcomes.count("failed")
                report.gone += len(gone)
                for connection_id in gone:
                    self.connections.disconnect(connection_id)
                live = [c for c in live if c.connection_id not in gone]
        return report

    def _push(self, connection_id: str, message: bytes) -> str:
        try:
            return "pushed" if self.push(connection_id, message) else "gone"
        except PushFailed:
            return "failed"
