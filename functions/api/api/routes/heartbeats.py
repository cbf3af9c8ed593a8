"""/heartbeats: jobs that must check in (§16). A heartbeat's key is in the 201 of its creation
and of its rotation, and nowhere else; its pings go to the ingest API (`/ping/<key>`)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from alerting.kinds import HEARTBEAT
from alerting.models.common import utcnow
from alerting.models.heartbeats import HeartbeatSpec
from api.dependencies import services
from api.routes import Id, new_router
from api.routes.crud import GET, LIST, UPDATE, Resource, add_routes
from api.schemas.heartbeats import HeartbeatCreated, HeartbeatUpdate, HeartbeatView

router = new_router()
HEARTBEATS = Resource(HEARTBEAT, "heartbeat", "heartbeats", "heartbeats", HeartbeatUpdate, HeartbeatView)


@router.post("/heartbeats", status_code=201, tags=[HEARTBEATS.tag], summary="Create a heartbeat (its key shown once)")
def create_heartbeat(spec: HeartbeatSpec) -> HeartbeatCreated:
    return services().heartbeats.create(spec, utcnow())


add_routes(router, HEARTBEATS, (LIST, GET, UPDATE))


@router.delete("/heartbeats/<heartbeat_id>", status_code=204, tags=[HEARTBEATS.tag], summary="Delete a heartbeat")
def delete_heartbeat(heartbeat_id: Id) -> Response[None]:
    services().heartbeats.delete(heartbeat_id, utcnow())
    return Response(status_code=204)


@router.post(
    "/heartbeats/<heartbeat_id>/rotate",
    status_code=201,
    tags=[HEARTBEATS.tag],
    summary="Give a heartbeat a new key (shown once; the old one stops working)",
)
def rotate_heartbeat_key(heartbeat_id: Id) -> HeartbeatCreated:
    return services().heartbeats.rotate(heartbeat_id, utcnow())
