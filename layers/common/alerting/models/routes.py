"""Routes: Alertmanager's routing tree, deciding who hears an alert from any source (§16).

The items of `/routes` are the top-level routes, walked in `position` order; the tree's
implicit root sends to nobody but the stack's SNS topic (which hears every alert anyway).
Empty matchers match everything; at every level the first matching route wins unless it has
`continue: true`; a route none of whose children match uses its own receiver, and a route
without a receiver uses its parent's. Matchers are the silences' RE2 matchers. A tree is at most
`MAX_DEPTH` routes deep (the top-level route counts as one).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, ClassVar

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from alerting.models.common import Model, ResourceId, Stored
from alerting.models.silences import Matcher

MAX_DEPTH = 5
RESERVED_ID = "test"  # GET /routes/test explains the tree: no route may take the name


class RouteReceiver(Model):
    channels: Annotated[list[ResourceId], Field(max_length=20)] = []
    escalation_policy_id: ResourceId | None = None


class Route(Model):
    # `continue` as Alertmanager spells it, on the wire and in the table (a Python keyword here)
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    matchers: Annotated[list[Matcher], Field(max_length=20)] = []
    receiver: RouteReceiver | None = None  # None: the parent's
    continue_: bool = Field(default=False, alias="continue")
    mute_windows: Annotated[list[ResourceId], Field(max_length=20)] = []  # muted while any is active
    active_windows: Annotated[list[ResourceId], Field(max_length=20)] = []  # muted unless one is active
    routes: Annotated[list[Route], Field(max_length=50)] = []

    def nested(self, at: str = "") -> Iterator[tuple[str, Route]]:
        """This route and every route below it, each with the path of its fields ("routes.0.")."""
        yield at, self
        for index, child in enumerate(self.routes):
            yield from child.nested(f"{at}routes.{index}.")


class RouteSpec(Route):
    route_id: ResourceId | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)]
    position: Annotated[int, Field(ge=0, le=1_000_000, strict=True)] = 0

    @field_validator("routes")
    @classmethod
    def _not_too_deep(cls, routes: list[Route], info: ValidationInfo) -> list[Route]:
        # Only the top-level route knows how deep its children sit. A stored tree loads whatever
        # it holds: one saved under a looser limit must not stop every tick from routing.
        if info.context and info.context.get("stored"):
            return routes
        nested = (at for i, child in enumerate(routes) for at, _ in child.nested(f"routes.{i}."))
        paths = (at for at in nested if at.count("routes.") >= MAX_DEPTH)
        found = next(paths, None)
        if found is not None:
            raise ValueError(f"{found.rstrip('.')} is nested too deep: at most {MAX_DEPTH} levels, this one the first")
        return routes

    @field_validator("route_id")
    @classmethod
    def _not_reserved(cls, route_id: str | None) -> str | None:
        if route_id == RESERVED_ID:
            raise ValueError(f"{RESERVED_ID!r} is GET /routes/test: choose another id")
        return route_id


class StoredRoute(Stored, RouteSpec):
    ID_FIELD: ClassVar[str] = "route_id"
    route_id: ResourceId
