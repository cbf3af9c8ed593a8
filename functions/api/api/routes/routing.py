"""/routes: Alertmanager's routing tree (its top-level routes, in `position` order), and
`GET /routes/test?label=value&...`: which receivers an alert with those labels reaches, and why
(as `amtool config routes test`)."""

from __future__ import annotations

from typing import Any, cast

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from pydantic import BaseModel, Field

from alerting.errors import InvalidInput
from alerting.kinds import ROUTE
from alerting.models.routes import RouteReceiver, RouteSpec
from alerting.models.silences import Matcher
from alerting.routing import Routed, RouteMatch
from api.dependencies import services
from api.routes import new_router
from api.routes.crud import Resource, add_routes
from api.schemas import ReadFields

MAX_LABELS = 50
MAX_NAME, MAX_VALUE = 100, 1000


class RouteUpdate(RouteSpec, ReadFields):
    """PUT body: the whole route and its tree, with the version you read (or an `If-Match` header)."""


class RouteStep(BaseModel):
    route: str = Field(description="A top-level route's id, or a nested route's index among its siblings")
    matchers: list[Matcher] = Field(description="What matched at this step (none: everything)")


class RouteReach(BaseModel):
    """One receiver the alert reaches, and the routes that led there, top-level route first."""

    path: list[str]
    steps: list[RouteStep]
    receiver: RouteReceiver = Field(description="The last route's, or the nearest one above it that names one")
    mute_windows: list[str]
    active_windows: list[str]

    @classmethod
    def of(cls, match: RouteMatch) -> RouteReach:
        steps = [RouteStep(route=name, matchers=r.matchers) for name, r in zip(match.path, match.trail, strict=True)]
        windows = {"mute_windows": list(match.mute_windows), "active_windows": list(match.active_windows)}
        return cls(path=list(match.path), steps=steps, receiver=match.receiver, **windows)


class RouteTest(BaseModel):
    """What an alert with ``labels`` opening now would store: the routes' channels (after its
    rule's own, for a rule's alert), their policy (where its rule has none) and windows."""

    labels: dict[str, str]
    matches: list[RouteReach] = Field(description="Empty: no route matches; the stack's SNS topic alone hears it")
    channels: list[str]
    escalation_policy_id: str | None
    mute_windows: list[str]
    active_windows: list[str]

    @classmethod
    def of(cls, labels: dict[str, str], routed: Routed) -> RouteTest:
        return cls(
            labels=labels,
            matches=[RouteReach.of(m) for m in routed.matches],
            channels=routed.channels,
            escalation_policy_id=routed.escalation_policy_id,
            mute_windows=routed.mute_windows,
            active_windows=routed.active_windows,
        )


LABELS = {  # every query parameter is a label (OpenAPI's free-form query object)
    "name": "labels",
    "in": "query",
    "style": "form",
    "explode": True,
    "description": "The alert's labels, one parameter each: `?team=payments&severity=critical`. Give "
    "what matchers see of an alert: its labels, its series' dimensions, and `source`, `rule_id`, "
    "`rule_name`, `severity`, `category`.",
    "schema": {"type": "object", "additionalProperties": {"type": "string", "maxLength": MAX_VALUE}},
}

router = new_router()
ROUTES = Resource(ROUTE, "route", "routes", "routes", RouteUpdate)


@router.get(
    "/routes/test",
    tags=[ROUTES.tag],
    summary="Which receivers an alert with these labels reaches, and why",
    openapi_extensions={"x-query-parameters": [LABELS]},
)
def test_routes() -> RouteTest:
    labels = query_labels(cast(APIGatewayProxyEvent, router.current_event))
    return RouteTest.of(labels, services().router.explain(labels))


add_routes(router, ROUTES)  # after /routes/test: `test` is no route's id


def query_labels(event: APIGatewayProxyEvent) -> dict[str, str]:
    """The query's parameters as labels; InvalidInput (400) naming one given twice, too long, or
    one too many."""
    given: dict[str, Any] = event.multi_value_query_string_parameters or {}
    if len(given) > MAX_LABELS:
        raise InvalidInput("labels", f"at most {MAX_LABELS} labels")
    labels: dict[str, str] = {}
    for name, values in given.items():
        if not 0 < len(name) <= MAX_NAME:
            raise InvalidInput("labels", f"a label's name is 1 to {MAX_NAME} characters: {name[:MAX_NAME]!r}")
        if len(values) != 1:
            raise InvalidInput(name, "given more than once: an alert has one value of each label")
        if len(values[0]) > MAX_VALUE:
            raise InvalidInput(name, f"at most {MAX_VALUE} characters")
        labels[name] = values[0]
    return labels
