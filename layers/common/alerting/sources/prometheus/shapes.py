"""Alertmanager API v2's bodies, as `api/v2/openapi.yaml` (0.25) defines them, under their own
(camelCase) names: what goes over the wire is spelled as Alertmanager spells it.

What clients send (`PostableAlert`, `PostableSilence`) is read as Alertmanager reads it:
unknown fields are ignored, no type is coerced. Times go out as Alertmanager writes them
(RFC 3339 in UTC, to the millisecond); `GO_ZERO_TIME` is its "no time" (an alert without a known end).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    StrictStr,
    model_serializer,
)

from alerting.models.silences import SilenceState

GO_ZERO_TIME = "0001-01-01T00:00:00.000Z"
LabelSet = dict[StrictStr, StrictStr]


def _text(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 date-time string")
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_text)]  # `2026-12-07T14:44:33Z`, with its zone


def rfc3339(value: datetime) -> str:
    """``value`` as Alertmanager writes a time: `2026-12-07T14:44:33.120Z`."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def is_go_zero(value: datetime | None) -> bool:
    """Go's zero time (`0001-01-01T00:00:00Z`), which a Go client sends for a time it left unset."""
    return value is None or value.astimezone(UTC).year == 1


class _Read(BaseModel):
    """As Alertmanager reads a body: unknown fields ignored, nothing coerced."""

    model_config = ConfigDict(extra="ignore", defer_build=True)


class _Written(BaseModel):
    """As Alertmanager writes a body: a field without a value is left out (Go's `omitempty`)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    @model_serializer(mode="wrap")
    def _without_none(self, handler: SerializerFunctionWrapHandler) -> Any:
        return {name: value for name, value in handler(self).items() if value is not None}


# -- alerts ----------------------------------------------------------------------------------------


class PostableAlert(_Read):
    labels: LabelSet
    annotations: LabelSet = {}
    startsAt: Timestamp | None = None
    endsAt: Timestamp | None = None
    generatorURL: StrictStr = ""


class AlertState(StrEnum):
    unprocessed = "unprocessed"
    active = "active"
    suppressed = "suppressed"


class AlertStatus(_Written):
    state: AlertState
    silencedBy: list[str]
    inhibitedBy: list[str]
    mutedBy: list[str] = []  # Alertmanager 0.27's; a time window muting the alert's route


class ReceiverReference(_Written):
    name: str


class _Span(_Written):
    """When an alert or a silence starts and ends, and when it last changed."""

    startsAt: str
    endsAt: str
    updatedAt: str


class GettableAlert(_Span):
    labels: dict[str, str]
    annotations: dict[str, str]
    receivers: list[ReceiverReference]
    fingerprint: str
    status: AlertStatus
    generatorURL: str | None = None


class AlertGroup(_Written):
    labels: dict[str, str]
    receiver: ReceiverReference
    alerts: list[GettableAlert]


# -- silences --------------------------------------------------------------------------------------


class AlertmanagerMatcher(_Read):
    name: StrictStr
    value: StrictStr
    isRegex: StrictBool
    isEqual: StrictBool = True


class PostableSilence(_Read):
    id: StrictStr = ""
    matchers: Annotated[list[AlertmanagerMatcher], Field(min_length=1)]
    startsAt: Timestamp
    endsAt: Timestamp
    createdBy: StrictStr
    comment: StrictStr


class SilenceStatus(_Written):
    state: SilenceState  # ours are Alertmanager's: pending, active, expired


class WrittenMatcher(_Written):
    name: str
    value: str
    isRegex: bool
    isEqual: bool


class GettableSilence(_Span):
    id: str
    status: SilenceStatus
    matchers: list[WrittenMatcher]
    createdBy: str
    comment: str


class SilenceCreated(_Written):
    silenceID: str


# -- status ----------------------------------------------------------------------------------------


class PeerStatus(_Written):
    name: str
    address: str


class ClusterStatus(_Written):
    name: str | None = None
    status: str  # ready, settling or disabled
    peers: list[PeerStatus] = []


class VersionInfo(_Written):
    version: str
    revision: str
    branch: str
    buildUser: str
    buildDate: str
    goVersion: str


class AlertmanagerConfig(_Written):
    original: str


class AlertmanagerStatus(_Written):
    cluster: ClusterStatus
    versionInfo: VersionInfo
    config: AlertmanagerConfig
    uptime: str


class Receiver(_Written):
    name: str
