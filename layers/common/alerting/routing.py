"""Walk the routing tree for an alert's labels (pure): which receivers it reaches, and why.

What `GET /routes/test` explains and what an alert opening stores (its channels, escalation
policy and the routes' windows), after Alertmanager's `dispatch/route.go` `Match`. `Router`
holds the stored routes for the callers that open alerts (the evaluator, the ingest functions).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from alerting.lifecycle.signals import Receiver, Routing
from alerting.models.routes import Route, RouteReceiver, StoredRoute


@dataclass(frozen=True)
class RouteMatch:
    """One receiver an alert reaches: the path of routes that led there (ids and indexes)."""

    path: tuple[str, ...]
    receiver: RouteReceiver
    mute_windows: tuple[str, ...] = ()
    active_windows: tuple[str, ...] = ()
    trail: tuple[Route, ...] = ()  # the routes of `path`, whose matchers matched


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

    @property
    def receiver(self) -> Receiver:
        """All of it, as the alert that opens stores it."""
        return Receiver(self.channels, self.escalation_policy_id, tuple(self.mute_windows), tuple(self.active_windows))


NOBODY = RouteReceiver()


def route(routes: Sequence[StoredRoute], labels: dict[str, str]) -> Routed:
    """The receivers of an alert with ``labels`` through the top-level ``routes``."""
    ordered = sorted(routes, key=lambda r: (r.position, r.route_id))
    return Routed(_level(ordered, labels, NOBODY, ()))


def _level(
    routes: Sequence[Route],
    labels: dict[str, str],
    inherited: RouteReceiver,
    trail: tuple[tuple[str, Route], ...],
) -> list[RouteMatch]:
    found: list[RouteMatch] = []
    for index, candidate in enumerate(routes):
        if not all(m.matches(labels) for m in candidate.matchers):
            continue
        name = candidate.route_id if isinstance(candidate, StoredRoute) else str(index)
        receiver = candidate.receiver or inherited
        here = (*trail, (name, candidate))
        below = _level(candidate.routes, labels, receiver, here)
        windows = (tuple(candidate.mute_windows), tuple(candidate.active_windows))
        found += below or [RouteMatch(tuple(n for n, _ in here), receiver, *windows, tuple(r for _, r in here))]
        if not candidate.continue_:
            break
    return found


class Router:
    """Who hears an alert by the stored routes, read-your-writes: ``load`` gives the routes
    (cached until their write generation moves), ``refresh`` reads that generation (one small
    Query). A caller with one alert calls the router; a tick or a batch routes its alerts
    through ``at(now)``, which reads the generation once per ``now``."""

    def __init__(self, load: Callable[[], Sequence[StoredRoute]], refresh: Callable[[], None] = lambda: None) -> None:
        self._load = load
        self._refresh = refresh
        self._held: tuple[datetime, tuple[StoredRoute, ...]] | None = None

    def routes(self) -> tuple[StoredRoute, ...]:
        """The routes as they are now."""
        self._refresh()
        return tuple(self._load())

    def explain(self, labels: dict[str, str]) -> Routed:
        """Which receivers an alert with ``labels`` reaches now, and by which routes."""
        return route(self.routes(), labels)

    def __call__(self, labels: dict[str, str]) -> Receiver:
        return self.explain(labels).receiver

    def at(self, now: datetime) -> Routing:
        """The routes as of ``now``, for every alert that opens at that time (a tick's share it)."""
        held = self._held
        if held is None or held[0] != now:
            held = self._held = (now, self.routes())
        routes = held[1]
        return lambda labels: route(routes, labels).receiver
