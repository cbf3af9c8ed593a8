"""Integrations: how an outside system is let in (§16). A keyed type's key is made here, shown
once (the 201 of the creation or of a rotation) and stored only as its hash: the key store's item
(hash → integration) is written in the integration's own transaction, so a rotation retires the
old key at once, and deleting the integration deletes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alerting.errors import Conflict, InvalidInput
from alerting.kinds import INTEGRATION
from alerting.models.common import Page, new_id
from alerting.models.integrations import Integration, IntegrationSpec, key_hash, new_key
from alerting.repositories.config import ConfigRepository
from alerting.repositories.dynamo import Item
from alerting.repositories.keys import KeyOwner, KeyStore
from api.schemas.integrations import IntegrationCreated, IntegrationUpdate, IntegrationView
from api.services.concurrency import current_for_update

HINT_LENGTH = 4


def view(integration: Integration) -> IntegrationView:
    return IntegrationView.model_validate(integration.model_dump(exclude={"key_hash"}))


def keyed(key: str) -> dict[str, str]:
    """What an integration keeps of ``key``: its hash, and a hint to tell it from another."""
    return {"key_hash": key_hash(key), "key_hint": key[-HINT_LENGTH:]}


@dataclass
class IntegrationService:
    integrations: ConfigRepository[Integration]
    keys: KeyStore

    def create(self, spec: IntegrationSpec, now: datetime) -> IntegrationCreated:
        integration_id = spec.integration_id or new_id()
        key = new_key() if spec.type.keyed else None
        integration = Integration.from_spec(
            spec,
            integration_id=integration_id,
            version=1,
            created_at=now,
            updated_at=now,
            **(keyed(key) if key else {}),
        )
        self.integrations.create(integration, also=self._key_ops(integration, retired=None))
        return IntegrationCreated(**view(integration).model_dump(), key=key)

    def page(self, limit: int, next_token: str | None) -> Page[IntegrationView]:
        page = self.integrations.page(limit, next_token)
        return Page[IntegrationView](items=[view(i) for i in page.items], next_token=page.next_token)

    def get(self, integration_id: str) -> IntegrationView:
        return view(self.integrations.get(integration_id))

    def update(
        self, integration_id: str, body: IntegrationUpdate, if_match: str | None, now: datetime
    ) -> IntegrationView:
        """The whole integration but its key, with the version the client read."""
        stored = current_for_update(
            self.integrations, INTEGRATION.name, integration_id, body.integration_id, body.version, if_match
        )
        if body.type is not stored.type:
            raise InvalidInput("type", f"stays {stored.type.value}; create another integration for another type")
        spec = IntegrationSpec.model_validate(body.model_dump(include=set(IntegrationSpec.model_fields)))
        replaced = Integration.from_spec(
            spec,
            integration_id=integration_id,
            version=stored.version + 1,
            created_at=stored.created_at,
            updated_at=now,
            key_hash=stored.key_hash,
            key_hint=stored.key_hint,
        )
        self.integrations.replace(replaced, stored.version)
        return view(replaced)

    def rotate(self, integration_id: str, now: datetime) -> IntegrationCreated:
        """A new key, shown this once; the old one lets nobody in from the moment this answers."""
        stored = self.integrations.get(integration_id)
        if not stored.type.keyed:
            raise Conflict(f"integration {integration_id!r} is of type {stored.type.value}: it has no key")
        key = new_key()
        rotated = stored.model_copy(update={**keyed(key), "version": stored.version + 1, "updated_at": now})
        self.integrations.replace(rotated, stored.version, also=self._key_ops(rotated, retired=stored.key_hash))
        return IntegrationCreated(**view(rotated).model_dump(), key=key)

    def delete(self, integration_id: str) -> None:
        """The integration and its key, at once."""
        stored = self.integrations.get(integration_id)
        retire = [self.keys.delete_op(stored.key_hash)] if stored.key_hash else []
        self.integrations.delete_version(integration_id, stored.version, also=retire)

    def _key_ops(self, integration: Integration, retired: str | None) -> list[Item]:
        """The key store's writes beside the integration's: its key's item, the old one's removal."""
        owner = KeyOwner(INTEGRATION.name, integration.integration_id)
        ops = [self.keys.delete_op(retired)] if retired else []
        if integration.key_hash:
            ops.append(self.keys.put_op(integration.key_hash, owner))
        return ops
