"""Heartbeats (§16): create (the key shown once), list, get, replace, rotate the key, delete.

The key is made here, shown in the 201 and kept only as its SHA-256 hash, with its `KeyStore`
item in the heartbeat's own transaction. A heartbeat disabled or deleted resolves the alert it
has open (no ping could resolve it); one enabled again counts its silence from then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alerting.errors import ConcurrentUpdate, Conflict, NotFound
from alerting.kinds import HEARTBEAT
from alerting.lifecycle import AlertLifecycle
from alerting.models.alerts import AlertSource
from alerting.models.common import Page, new_id
from alerting.models.heartbeats import Heartbeat, HeartbeatSpec, HeartbeatState
from alerting.models.integrations import key_hash, new_key
from alerting.repositories.heartbeats import HeartbeatRepository
from alerting.sources.heartbeats import entry_minute, watched_from
from api.schemas.heartbeats import HeartbeatCreated, HeartbeatUpdate, HeartbeatView
from api.services.concurrency import current_for_update

MAX_ATTEMPTS = 3  # a write that lost a race (a ping, another edit) reads again


@dataclass
class HeartbeatService:
    heartbeats: HeartbeatRepository
    lifecycle: AlertLifecycle  # resolves the alert of a heartbeat disabled or deleted

    def create(self, spec: HeartbeatSpec, now: datetime) -> HeartbeatCreated:
        key = new_key()
        heartbeat = Heartbeat.from_spec(
            spec,
            heartbeat_id=spec.heartbeat_id or new_id(),
            version=1,
            created_at=now,
            updated_at=now,
            key_hash=key_hash(key),
            key_hint=key[-4:],
        )
        state = watched_from(heartbeat, now)
        self.heartbeats.create(heartbeat, state)
        return HeartbeatCreated.model_validate(HeartbeatView.of(heartbeat, state).model_dump() | {"key": key})

    def page(self, limit: int, next_token: str | None) -> Page[HeartbeatView]:
        page = self.heartbeats.page(limit, next_token)
        found = self.heartbeats.found(h.heartbeat_id for h in page.items)
        items = [HeartbeatView.of(h, found[h.heartbeat_id][1]) for h in page.items]
        return Page[HeartbeatView](items=items, next_token=page.next_token)

    def get(self, heartbeat_id: str) -> HeartbeatView:
        heartbeat, state = self.heartbeats.find(heartbeat_id)
        if heartbeat is None:
            raise NotFound(HEARTBEAT.name, heartbeat_id)
        return HeartbeatView.of(heartbeat, state)

    def update(self, heartbeat_id: str, body: HeartbeatUpdate, if_match: str | None, now: datetime) -> HeartbeatView:
        """The whole heartbeat, with the version the client read (body or If-Match); its key and
        its pings stay. A changed period or grace moves when it is due."""
        stored = current_for_update(
            self.heartbeats.config, HEARTBEAT.name, heartbeat_id, body.heartbeat_id, body.version, if_match
        )
        spec = HeartbeatSpec.model_validate(body.model_dump(include=set(HeartbeatSpec.model_fields)))
        replaced = stored.model_copy(  # its key, its creation: as stored
            update=spec.model_dump(exclude={"heartbeat_id"}) | {"version": stored.version + 1, "updated_at": now}
        )
        state = self.heartbeats.state(heartbeat_id)
        entry = None
        if state is not None and stored.enabled and replaced.enabled and _due_time_changed(stored, replaced):
            entry = entry_minute(replaced.due_after(state.since), now)
        self.heartbeats.replace(replaced, stored.version, entry)
        if stored.enabled and not replaced.enabled:
            self._resolve(replaced, now, "heartbeat disabled")
        if replaced.enabled and not stored.enabled:
            state = self._watch_again(replaced, now)
        return HeartbeatView.of(replaced, state)

    def rotate(self, heartbeat_id: str, now: datetime) -> HeartbeatCreated:
        """A new key, shown once; the old one stops working at once."""
        for _ in range(MAX_ATTEMPTS):
            stored = self.heartbeats.get(heartbeat_id)
            key = new_key()
            rotated = stored.model_copy(
                update={
                    "key_hash": key_hash(key),
                    "key_hint": key[-4:],
                    "version": stored.version + 1,
                    "updated_at": now,
                }
            )
            try:
                self.heartbeats.rotate(rotated, stored.version, stored.key_hash)
            except Conflict:  # edited meanwhile: rotate the new version
                continue
            shown = HeartbeatView.of(rotated, self.heartbeats.state(heartbeat_id)).model_dump()
            return HeartbeatCreated.model_validate(shown | {"key": key})
        raise ConcurrentUpdate(f"heartbeat {heartbeat_id!r} kept changing while its key was rotated")

    def delete(self, heartbeat_id: str, now: datetime) -> None:
        for _ in range(MAX_ATTEMPTS):
            stored = self.heartbeats.get(heartbeat_id)
            try:
                self.heartbeats.delete(stored)
            except Conflict:  # edited meanwhile: delete the new version
                continue
            self._resolve(stored, now, "heartbeat deleted")
            return
        raise ConcurrentUpdate(f"heartbeat {heartbeat_id!r} kept changing while it was deleted")

    def _resolve(self, heartbeat: Heartbeat, now: datetime, reason: str) -> None:
        """Its open alert, if any, resolved: no ping can resolve it now. As a resolve by hand
        would: its next firing (enabled again, silent) opens a new alert."""
        actor = AlertSource.heartbeat.value
        self.lifecycle.close_for_rule(heartbeat.origin, actor, now, reason=reason, delete_series=False)

    def _watch_again(self, heartbeat: Heartbeat, now: datetime) -> HeartbeatState | None:
        for _ in range(MAX_ATTEMPTS):
            state = self.heartbeats.state(heartbeat.heartbeat_id)
            if state is None:
                return None
            again = watched_from(heartbeat, now, state)
            try:
                self.heartbeats.save(again, state.indexed, again.indexed)
                return again
            except ConcurrentUpdate:
                continue
        raise ConcurrentUpdate(f"heartbeat {heartbeat.heartbeat_id!r} kept changing while it was enabled")


def _due_time_changed(before: Heartbeat, after: Heartbeat) -> bool:
    return (before.period_seconds, before.grace_seconds) != (after.period_seconds, after.grace_seconds)
