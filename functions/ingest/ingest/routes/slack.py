"""Slack's interactivity endpoint (§18, docs/notifications.md "Buttons"): `POST
/slack/interactions`, the Request URL of a Slack app's Interactivity, where the clicks of the
Acknowledge, Resolve and "Silence 1 h" buttons arrive.

No key: Slack signs each request (`X-Slack-Signature`, with the signing secret of the channel
whose button was clicked), and that is the door (the protocol is `SIGNED`). A request that does
not verify, is over five minutes old or was seen before is a 401 and changes nothing. Anything
else is Slack's 200 within its 3 seconds, with an empty body: the answer to the user goes through
the click's `response_url` (the message replaced; or, when nothing could be done, a line only
they see). Refusals are in the shape of Slack's Web API errors (`{"ok": false, "error"}`).
"""

from __future__ import annotations

from http import HTTPStatus

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel

from alerting.models.common import epoch, utcnow
from ingest.dependencies import services
from ingest.errors import ErrorShape, Refusal, refusal_headers
from ingest.gate import SIGNED
from ingest.observability import logger, metrics
from ingest.routes import new_router

PREFIX = "/slack"
TAGS = ["Slack"]
router = new_router()


class SlackError(BaseModel):
    """A refusal, as Slack's Web API words one: a code, and what is wrong in `response_metadata`."""

    ok: bool = False
    error: str
    response_metadata: dict[str, list[str]] = {}


@router.post(
    "/interactions",
    tags=TAGS,
    summary="A click of a Slack message's button (the Slack app's Interactivity Request URL)",
    description=(
        "Slack's form-encoded `payload` (a `block_actions` interaction), signed by Slack: `X-Slack-Signature` "
        "(`v0=` HMAC-SHA256 of `v0:<timestamp>:<body>` with the channel's signing secret) and "
        "`X-Slack-Request-Timestamp` (within five minutes; each request is taken once)."
    ),
    responses={
        200: {"description": "Taken: the message is updated through the click's response_url"},
        401: {
            "description": "Not signed by Slack with the channel's secret, too old, or a replay",
            "content": {content_types.APPLICATION_JSON: {"model": SlackError}},
        },
    },
)
def interactions() -> Response[str]:
    request = router.current_event
    now = utcnow()
    slack = services().slack
    verified = slack.verify(request.headers, request.decoded_body or "", epoch(now))
    outcome = slack.act(verified, now)
    metrics.add_metric(
        name="SlackActions" if outcome.changed else "SlackActionsRefused", unit=MetricUnit.Count, value=1
    )
    logger.info(
        "slack action",
        extra={
            "channel": verified.channel.channel_id,
            "actor": verified.interaction.actor,
            "action": outcome.action,
            "changed": outcome.changed,
            "refused": outcome.refused,
            "response_error": outcome.response_error,
        },
    )
    return Response(status_code=HTTPStatus.OK, content_type=content_types.TEXT_PLAIN, body="")


CODES = {
    HTTPStatus.BAD_REQUEST: "invalid_payload",
    HTTPStatus.UNAUTHORIZED: "invalid_request_signature",
    HTTPStatus.NOT_FOUND: "not_found",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "request_too_large",
    HTTPStatus.UNPROCESSABLE_ENTITY: "invalid_payload",
    HTTPStatus.TOO_MANY_REQUESTS: "ratelimited",
}


def render(refusal: Refusal) -> Response[str]:
    internal = refusal.status >= HTTPStatus.INTERNAL_SERVER_ERROR
    body = SlackError(
        error=CODES.get(refusal.status, "internal_error" if internal else "invalid_request"),
        response_metadata={} if internal else {"messages": [refusal.message]},
    )
    return Response(
        status_code=refusal.status,
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump_json(),
        headers={k: v for k, v in refusal_headers(refusal).items() if k != "WWW-Authenticate"},  # no key to show
    )


ERRORS = ErrorShape(render, "SlackError", SlackError.model_json_schema())
DOOR = SIGNED
