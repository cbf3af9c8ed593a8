"""/channels: notification targets; secret fields are write-only."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from alerting.models.channels import ChannelSpec
from alerting.models.common import Page, utcnow
from api.dependencies import services
from api.routes import DEFAULT_LIMIT, Id, IfMatch, Limit, NextToken, new_router
from api.schemas import ChannelTestResult, ChannelUpdate, ChannelView

router = new_router()
TAGS = ["channels"]


@router.post("/channels", status_code=201, tags=TAGS, summary="Create a channel")
def create_channel(spec: ChannelSpec) -> ChannelView:
    return services().channels.create(spec, utcnow())


@router.get("/channels", tags=TAGS, summary="List channels")
def list_channels(limit: Limit = DEFAULT_LIMIT, next_token: NextToken = None) -> Page[ChannelView]:
    return services().channels.page(limit, next_token)


@router.get("/channels/<channel_id>", tags=TAGS, summary="Get a channel (secrets shown as set / not set)")
def get_channel(channel_id: Id) -> ChannelView:
    return services().channels.get(channel_id)


@router.put("/channels/<channel_id>", tags=TAGS, summary="Replace a channel (needs the version you read)")
def update_channel(channel_id: Id, body: ChannelUpdate, if_match: IfMatch = None) -> ChannelView:
    return services().channels.update(channel_id, body, if_match, utcnow())


@router.delete("/channels/<channel_id>", status_code=204, tags=TAGS, summary="Delete an unused channel")
def delete_channel(channel_id: Id) -> Response[None]:
    services().channels.delete(channel_id)
    return Response(status_code=204)


@router.post("/channels/<channel_id>/test", tags=TAGS, summary="Send a test notification now")
def test_channel(channel_id: Id) -> ChannelTestResult:
    return services().channels.test(channel_id, utcnow())
