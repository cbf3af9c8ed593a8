"""Flapping, per series: the start that is a series' `max_starts`-th within `within_seconds` is
announced as `flapping`, later starts are recorded but kept quiet, and a series that has kept
still for the window settles, announced once. Pure: each function updates the state it is handed.
"""

from __future__ import annotations

from alerting.models.alerts import SeriesState
from alerting.models.common import AlertEvent
from alerting.models.rules import FlappingPolicy


def count_start(
    policy: FlappingPolicy, state: SeriesState, tick: int, alert_id: str
) -> tuple[AlertEvent, bool, str | None]:
    """A threshold alert's start, counted in the window: (its event, whether it is quiet, and the
    reason that replaces its own when this start makes the series flap)."""
    window = policy.within_seconds
    starts = [t for t in state.flap_starts if t > tick - window] + [tick]
    state.flap_starts, state.last_change_at = starts[-policy.max_starts :], tick
    event, quiet, reason = AlertEvent.firing, False, None
    if state.flapping:
        quiet = True
    elif len(starts) >= policy.max_starts:
        state.flapping, event, quiet = True, AlertEvent.flapping, True
        reason = f"started {len(starts)} times within {window // 60} min"
    if state.flapping:
        state.flap_alert_id = alert_id
    return event, quiet, reason


def settle(policy: FlappingPolicy | None, state: SeriesState, tick: int) -> tuple[str, str, AlertEvent] | None:
    """A flapping series that stayed in one state for the window (or whose rule no longer
    watches for flapping) settles: (its alert, why, and where: firing or resolved)."""
    if not state.flapping:
        return None
    quiet_since = state.last_change_at or tick
    if policy is not None and tick - quiet_since < policy.within_seconds:
        return None
    alert_id = state.alert_id or state.flap_alert_id
    open_now = state.alert_id is not None
    state.flapping, state.flap_starts, state.flap_alert_id = False, [], None
    if alert_id is None:
        return None
    minutes = (tick - quiet_since) // 60
    return (
        alert_id,
        f"settled {'firing' if open_now else 'resolved'}: {minutes} min without a change after flapping",
        AlertEvent.firing if open_now else AlertEvent.resolved,
    )
