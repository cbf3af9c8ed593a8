"""A heartbeat as the API shows it: its spec, its pings and when silence becomes an alert; the
last four characters of its key, never the key's hash; the key itself once, in the 201 of its
creation or rotation."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field

from alerting.models.common import UtcDatetime
from alerting.models.heartbeats import Heartbeat, HeartbeatSpec, HeartbeatState
from api.schemas import ReadFields


class HeartbeatView(HeartbeatSpec):
    heartbeat_id: str
    version: int
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None
    key_hint: str | None = Field(None, description="The key's last four characters, to tell keys apart")
    last_ping_at: UtcDatetime | None = Field(None, description="null: never pinged")
    due_at: UtcDatetime | None = Field(
        None,
        description="When silence becomes an alert (last ping, creation or enabling + period + grace); "
        "null while down or disabled",
    )
    down_since: UtcDatetime | None = Field(None, description="The due time it missed, or its failure; null while up")
    pings: int = Field(0, description="Pings recorded, failures included")

    @classmethod
    def of(cls, heartbeat: Heartbeat, state: HeartbeatState | None) -> Self:
        shown = heartbeat.model_dump(exclude={"key_hash"})
        if state is None:  # written by the same transaction: only a read racing a delete misses it
            return cls.model_validate(shown)
        up = heartbeat.enabled and state.down_since is None
        return cls.model_validate(
            shown
            | {
                "last_ping_at": state.last_ping_at,
                "due_at": heartbeat.due_after(state.since) if up else None,
                "down_since": state.down_since,
                "pings": state.pings,
            }
        )


class HeartbeatCreated(HeartbeatView):
    key: str = Field(description="Ping `/ping/<key>` on the ingest API. Shown once, here: only its hash is kept")


class HeartbeatUpdate(HeartbeatSpec, ReadFields):
    """PUT body: the whole heartbeat, with the version you read (or an `If-Match` header); what a
    GET shows besides (the key's hint, the pings) is accepted and ignored. The key stays: `POST
    /heartbeats/{heartbeat_id}/rotate` changes it."""

    key_hint: str | None = None
    last_ping_at: UtcDatetime | None = None
    due_at: UtcDatetime | None = None
    down_since: UtcDatetime | None = None
    pings: Annotated[int, Field(ge=0)] | None = None
