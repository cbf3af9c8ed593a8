"""Walk the routing tree for an alert's labels (pure): which receivers it reaches, and why.

What `GET /routes/test` explains and what an alert opening stores (its channels, escalation
policy and the routes' windows), after Alertmanager's `dispatch/route.go` `Match`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from alerting.models.routes import Route, RouteReceiver, StoredRoute


@dataclass(frozen=True)
class RouteMatch:
    """One receiver an alert reaches: the path of routes that led there (ids and indexes)."""

    path: tuple[str, ...]
    receiver: RouteReceiver
    mute_windows: tuple[str, ...] = ()
    active_windows: tuple[str, ...] = ()


@dataclass(frozen=True)
class Routed:
    matches: list[RouteMatch] = field(default_factory=list)

    @property
    def channels(self) -> list[str]:
        return list(dict.fromkeys(c for m in self.matches for c in m.receiver.channels))

    @property
    def escalation_policy_id(self) -> str | None:
        """The first matching receiver's policy: an alert escalates along one policy."""
        return next((m.receiver.escalation_policy_id for m in self.matches if m.receiver.escalation_policy_id), None)

    @property
    def mute_windows(self) -> list[str]:
        return list(dict.fromkeys(w for m in self.matches for w in m.mute_windows))

    @property
    def active_windows(self) -> list[str]:
        return list(dict.fromkeys(w for m in self.matches for w in m.active_windows))


NOBODY = RouteReceiver()


def route(routes: Sequence[StoredRoute], labels: dict[str, str]) -> Routed:
    """The receivers of an alert with ``labels`` through the top-level ``routes``."""
    ordered = sorted(routes, key=lambda r: (r.position, r.route_id))
    return Routed(_level(ordered, labels, NOBODY, ()))


def _level(
    routes: Sequence[Route], labels: dict[str, str], inherited: RouteReceiver, path: tuple[str, ...]
) -> list[RouteMatch]:
    found: list[RouteMatch] = []
    for index, candidate in enumerate(routes):
        if not all(m.matches(labels) for m in candidate.matchers):
            continue
        name = candidate.route_id if isinstance(candidate, StoredRoute) else str(index)
        receiver = candidate.receiver or inherited
        here = (*path, name)
        below = _level(candidate.routes, labels, receiver, here)
        found += below or [RouteMatch(here, receiver, tuple(candidate.mute_windows), tuple(candidate.active_windows))]
        if not candidate.continue_:
            break
    return found
