"""/channels: notification targets; secret fields are write-only."""

from __future__ import annotations

from alerting.kinds import CHANNEL
from alerting.models.common import utcnow
from api.dependencies import services
from api.routes import Id, audited, new_router
from api.routes.crud import Resource, add_routes
from api.schemas import ChannelTestResult, ChannelUpdate, ChannelView

router = new_router()
CHANNELS = Resource(
    CHANNEL,
    "channel",
    "channels",
    "channels",
    update=ChannelUpdate,
    view=ChannelView,
    shown=" (secrets shown as set / not set)",
)
add_routes(router, CHANNELS)


@router.post("/channels/<channel_id>/test", tags=[CHANNELS.tag], summary="Send a test notification now")
def test_channel(channel_id: Id) -> ChannelTestResult:
    result = services().channels.test(channel_id, utcnow())
    audited(router, "test", f"channel/{channel_id}")
    return result
