"""Silences: create, list by state, read, and expire (kept for the record)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alerting.errors import Conflict, InvalidInput
from alerting.models.common import Page, new_id
from alerting.models.silences import Silence, SilenceSpec, SilenceState
from alerting.repositories.config import ConfigRepository
from api.services.resources import Limit


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

    def page(self, state: SilenceState | None, limit: int, next_token: str | None, now: datetime) -> Page[Silence]:
        def keep(silence: Silence) -> bool:
            return state is None or silence.state(now) is state

        return self.silences.page(limit, next_token, keep, scope=f"state={state}")

    def get(self, silence_id: str) -> Silence:
        return self.silences.get(silence_id)

    def expire(self, silence_id: str, now: datetime) -> None:
        """Ends it now; an expired silence cannot change. Alerts it covered that still fire are
        announced on the next tick; a pending one covered nothing, so its end announces nothing."""
        silence = self.silences.get(silence_id)
        if silence.state(now) is SilenceState.expired:
            raise Conflict(f"silence {silence_id!r} has already expired")
        self.silences.replace(silence.expired(now), silence.version)
