"""Integrations: how an outside system is allowed in, and what its alerts carry (§16).

An integration of type `alertmanager`, `events` or `heartbeat` has a key, shown once (in the
201 of its creation or rotation) and stored only as a hash; `cloudwatch` needs none (its events
come from EventBridge inside the account). Every alert an integration brings carries its labels
(so routes can match `team=payments`) and, unless the source says otherwise, its severity.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import Field

from alerting.models.common import Model, ResourceId, Severity, Stored

LabelName = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")]
LabelValue = Annotated[str, Field(max_length=500)]
KEY_PREFIX = "ak_"  # a key says what it is in a log or a leaked-secret scan


class IntegrationType(StrEnum):
    alertmanager = "alertmanager"  # Prometheus and anything that speaks the Alertmanager API v2
    events = "events"  # the PagerDuty Events API v2
    heartbeat = "heartbeat"
    cloudwatch = "cloudwatch"  # CloudWatch alarms through EventBridge (no key)

    @property
    def keyed(self) -> bool:
        return self is not IntegrationType.cloudwatch


class InsufficientData(StrEnum):
    """What a CloudWatch alarm's INSUFFICIENT_DATA does to its alert."""

    ignore = "ignore"
    resolve = "resolve"
    alert = "alert"


class IntegrationSpec(Model):
    integration_id: ResourceId | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)]
    type: IntegrationType
    labels: Annotated[dict[LabelName, LabelValue], Field(max_length=20)] = {}
    severity: Severity = Severity.high
    insufficient_data: InsufficientData = InsufficientData.ignore  # cloudwatch only
    enabled: bool = True


class Integration(Stored, IntegrationSpec):
    ID_FIELD: ClassVar[str] = "integration_id"
    integration_id: ResourceId
    key_hash: str | None = None  # sha256 of the key; never the key
    key_hint: str | None = None  # its last four characters, to tell keys apart


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_matches(key: str, stored_hash: str | None) -> bool:
    return stored_hash is not None and hmac.compare_digest(key_hash(key), stored_hash)
