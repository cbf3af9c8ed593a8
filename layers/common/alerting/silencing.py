"""Silences, as the main API and the Alertmanager API v2 both change them (one service, so a
silence set through either is the same silence): create, Alertmanager's set (update in place or
expire and recreate), list by state, read, and expire (kept for the record)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from alerting.errors import Conflict, InvalidInput
from alerting.limits import Limit
from alerting.models.common import Page, new_id
from alerting.models.silences import Silence, SilenceSpec, SilenceState

if TYPE_CHECKING:
    from alerting.repositories.config import ConfigRepository


def updatable(previous: Silence, wanted: SilenceSpec, now: datetime) -> bool:
    """Alertmanager's `canUpdate`: a silence changes in place only where the record of what it
    silenced stays true: the same matchers; an active one keeps its start and does not end in
    the past; a pending one does not start in the past; an expired one never changes."""
    if [(m.label, m.op, m.value) for m in previous.matchers] != [(m.label, m.op, m.value) for m in wanted.matchers]:
        return False
    state = previous.state(now)
    if state is SilenceState.active:
        starts = wanted.starts_at or now
        return int(starts.timestamp()) == int(previous.starts_at.timestamp()) and wanted.ends_at >= now
    return state is SilenceState.pending and (wanted.starts_at or now) >= now


@dataclass
class SilenceService:
    silences: ConfigRepository[Silence]
    limit: Limit

    def create(self, spec: SilenceSpec, now: datetime) -> Silence:
        if spec.ends_at <= now:
            raise InvalidInput("ends_at", "is in the past")
        stored = list(self.silences.all())
        self.limit.check(sum(1 for s in stored if s.state(now) is not SilenceState.expired))
        # Expired ones are kept a week and read by every tick too: create-then-expire is bounded.
        Limit("silences kept, expired in the last week included", 2 * self.limit.maximum, self.limit.name).check(
            len(stored)
        )
        silence = Silence.created(spec, spec.silence_id or new_id(), now)
        return self.silences.create(silence)

    def set(self, silence_id: str, spec: SilenceSpec, now: datetime, new_id: Callable[[], str]) -> Silence:
        """Alertmanager's `Set` of the silence ``silence_id``: changed in place where it may be
        (``updatable``), else expired (unless it has) and replaced by a new one under ``new_id()``.
        NotFound when there is no such silence."""
        previous = self.silences.get(silence_id)
        if updatable(previous, spec, now):
            pending = previous.state(now) is SilenceState.pending
            fields = spec.model_dump(exclude={"silence_id"}) | {
                "starts_at": spec.starts_at if pending and spec.starts_at else previous.starts_at,
                "updated_at": now,
                "version": previous.version + 1,
            }
            return self.silences.replace(Silence.model_validate(previous.model_dump() | fields), previous.version)
        if previous.state(now) is not SilenceState.expired:
            self.silences.replace(previous.expired(now), previous.version)
        return self.create(spec.model_copy(update={"silence_id": new_id()}), now)

    def page(self, state: SilenceState | None, limit: int, next_token: str | None, now: datetime) -> Page[Silence]:
        def keep(silence: Silence) -> bool:
            return state is None or silence.state(now) is state

        return self.silences.page(limit, next_token, keep, scope=f"state={state}")

    def every(self) -> list[Silence]:
        """Every silence kept (expired ones for a week): what Alertmanager's clients list."""
        return list(self.silences.all())

    def get(self, silence_id: str) -> Silence:
        return self.silences.get(silence_id)

    def expire(self, silence_id: str, now: datetime) -> None:
        """Ends it now; an expired silence cannot change. Alerts it covered that still fire are
        announced on the next tick; a pending one covered nothing, so its end announces nothing."""
        silence = self.silences.get(silence_id)
        if silence.state(now) is SilenceState.expired:
            raise Conflict(f"silence {silence_id!r} has already expired")
        self.silences.replace(silence.expired(now), silence.version)
