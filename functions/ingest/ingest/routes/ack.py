"""Acknowledge links (§18, docs/notifications.md "Acknowledge from e-mail and SMS"): the link in an
e-mail or SMS, `GET /ack?t=<token>`, shows a page to confirm and changes nothing (mail scanners
and link previews follow links); only its form, `POST /ack` with `t=<token>` in the
form-encoded body, acknowledges the alert, as the channel the message was sent to.

No key: the token is the proof (the protocol is `SIGNED`). Every answer is a page, refusals too
(a link not valid 404, expired 410; already acknowledged, resolved, or used 409). The token is in
no log line: only what it stood for (alert, channel) and the outcome are logged.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.metrics import MetricUnit

from alerting.ack_links import PATH, TOKEN_PARAMETER
from alerting.models.common import utcnow
from ingest.ack_pages import HTML, page, refusal_page
from ingest.ack_service import Answer
from ingest.dependencies import services
from ingest.errors import ErrorShape
from ingest.gate import SIGNED
from ingest.observability import logger, metrics
from ingest.routes import new_router

PREFIX = PATH
TAGS = ["acknowledge links"]
MAX_TOKEN = 64  # a token is 22 characters; anything much longer is not one
router = new_router()
Token = Annotated[str, Query(alias=TOKEN_PARAMETER, max_length=MAX_TOKEN, description="The link's token")]
PAGES: dict[int, OpenAPIResponse] = {
    status: {"description": description, "content": {HTML: {"schema": {"type": "string"}}}}
    for status, description in (
        (200, "The page: confirm (GET), or acknowledged (POST)"),
        (404, "The link is not valid (altered, cut short, or its secret rotated), or its alert is gone"),
        (409, "The alert is acknowledged or resolved already, or the link was used"),
        (410, "The link has expired (24 hours after its message)"),
    )
}


@router.get(
    "/",
    tags=TAGS,
    summary="An acknowledge link: the page to confirm (changes nothing)",
    responses=PAGES,
)
def confirm(token: Token = "") -> Response[str]:
    answer = services().acks.look(token, utcnow())
    report("viewed", answer)
    return page(answer, token)


@router.post(
    "/",
    tags=TAGS,
    summary="Acknowledge through a link (its confirm page's form)",
    description=f"The form-encoded body `{TOKEN_PARAMETER}=<token>`: the link's token.",
    responses=PAGES,
)
def acknowledge() -> Response[str]:
    answer = services().acks.act(form_token(router.current_event.decoded_body or ""), utcnow())
    report("posted", answer)
    return page(answer)


def form_token(body: str) -> str:
    """The token in the form's body (``t=<token>``); empty when there is none (or junk)."""
    try:
        values = parse_qs(body, max_num_fields=10).get(TOKEN_PARAMETER, [""])
    except ValueError:  # more fields than any form of ours sends
        return ""
    return values[-1][:MAX_TOKEN]


def report(method: str, answer: Answer) -> None:
    claims = answer.claims
    metrics.add_metric(name=f"AckLinks_{answer.outcome.value}", unit=MetricUnit.Count, value=1)
    logger.info(
        "ack link",
        extra={
            "request": method,
            "outcome": answer.outcome.value,
            "alert_id": claims.alert_id if claims else None,
            "channel_id": claims.channel_id if claims else None,
        },
    )


ERRORS = ErrorShape(refusal_page, "AckPage", {"type": "string", "description": "An HTML page"})
DOOR = SIGNED
