"""Heartbeats' pings (§16, docs/sources.md): `GET` or `POST /ping/<key>` records a ping, and
`/ping/<key>/fail` a failure, which fires the heartbeat's alert at once (a POST's body, as text,
is the reason; cut to 500 characters). The next ping resolves it.

The key is the path's, a heartbeat's (`key` in the 201 of its creation or rotation); the door
checks it and counts the heartbeat's request rate like an integration's. A disabled heartbeat's
pings are recorded and alert nothing. The key is in no log line and no answer.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, Field

from alerting.models.common import UtcDatetime, utcnow
from alerting.models.heartbeats import Heartbeat
from alerting.models.signals import SignalOutcome
from ingest.dependencies import services
from ingest.gate import PATH, Admitted, Door, admitted
from ingest.observability import logger, metrics
from ingest.routes import new_router

PREFIX = "/ping"
TAGS = ["heartbeats"]
router = new_router()
Key = Annotated[str, Path(description="The heartbeat's key", max_length=200)]


class Pinged(BaseModel):
    heartbeat_id: str
    at: UtcDatetime = Field(description="The ping's time, as recorded (whole seconds)")
    alert: SignalOutcome | None = Field(
        None, description="What its alert did: `opened` (a failure), `resolved` (back after one); null: nothing"
    )


def heartbeats_only(found: Admitted) -> bool:
    return isinstance(found.owner, Heartbeat)


@router.get("/<key>", tags=TAGS, summary="Record a heartbeat's ping")
def ping(key: Key) -> Pinged:
    return record(None)


@router.post("/<key>", tags=TAGS, summary="Record a heartbeat's ping")
def post_ping(key: Key) -> Pinged:
    return record(None)


@router.get("/<key>/fail", tags=TAGS, summary="Record a failure: the heartbeat's alert fires at once")
def fail(key: Key) -> Pinged:
    return record("")


@router.post(
    "/<key>/fail",
    tags=TAGS,
    summary="Record a failure: the heartbeat's alert fires at once",
    description="The body, as text, is the reason the alert shows (its first 500 characters).",
)
def post_fail(key: Key) -> Pinged:
    return record(router.current_event.decoded_body or "")


def record(failure: str | None) -> Pinged:
    heartbeat = admitted().owner
    assert isinstance(heartbeat, Heartbeat)  # the door lets in heartbeats' keys only
    recorded = services().pings.record(heartbeat, utcnow(), failure)
    metrics.add_metric(name="PingFailures" if failure is not None else "Pings", unit=MetricUnit.Count, value=1)
    logger.info(
        "ping",
        extra={"heartbeat": heartbeat.heartbeat_id, "failed": failure is not None, "alert": recorded.alert},
    )
    return Pinged(heartbeat_id=recorded.heartbeat_id, at=recorded.at, alert=recorded.alert)


DOOR = Door(PATH, heartbeats_only)
