"""Routes: Alertmanager's routing tree, deciding who hears an alert from any source (§16).

The items of `/routes` are the top-level routes, walked in `position` order; the tree's
implicit root sends to nobody but the stack's SNS topic (which hears every alert anyway).
Empty matchers match everything; at every level the first matching route wins unless it has
`continue: true`; a route none of whose children match uses its own receiver, and a route
without a receiver uses its parent's. Matchers are the silences' RE2 matchers.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import ConfigDict, Field

from alerting.models.common import Model, ResourceId, Stored
from alerting.models.silences import Matcher

MAX_DEPTH = 5


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

    def depth(self) -> int:
        return 1 + max((child.depth() for child in self.routes), default=0)

    def walk(self) -> list[Route]:
        return [self, *(r for child in self.routes for r in child.walk())]


class RouteSpec(Route):
    route_id: ResourceId | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)]
    position: Annotated[int, Field(ge=0, le=1_000_000, strict=True)] = 0


class StoredRoute(Stored, RouteSpec):
    ID_FIELD: ClassVar[str] = "route_id"
    route_id: ResourceId

    def channels(self) -> set[str]:
        return {c for r in self.walk() if r.receiver for c in r.receiver.channels}

    def policies(self) -> set[str]:
        return {r.receiver.escalation_policy_id for r in self.walk() if r.receiver and r.receiver.escalation_policy_id}

    def windows(self) -> set[str]:
        return {w for r in self.walk() for w in (*r.mute_windows, *r.active_windows)}
