"""Enums, ids and time helpers shared by every model."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache, cached_property
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
ResourceId = Annotated[str, Field(pattern=ID_PATTERN, description="[a-z0-9][a-z0-9-]{0,63}")]


class Severity(StrEnum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"
    info = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe; used by `min_severity` filters."""
        return len(_SEVERITY_ORDER) - _SEVERITY_ORDER.index(self)


_SEVERITY_ORDER = list(Severity)


class Category(StrEnum):
    performance = "performance"
    availability = "availability"
    errors = "errors"
    capacity = "capacity"
    security = "security"
    cost = "cost"
    custom = "custom"


class AlertStatus(StrEnum):
    firing = "firing"
    acknowledged = "acknowledged"
    resolved = "resolved"


OPEN_STATUSES = (AlertStatus.firing, AlertStatus.acknowledged)


class AlertEvent(StrEnum):
    """Transition names, used everywhere: SNS attribute, channel filters, deliveries, history."""

    firing = "firing"
    acknowledged = "acknowledged"
    unacknowledged = "unacknowledged"
    resolved = "resolved"
    escalated = "escalated"
    repeat = "repeat"
    flapping = "flapping"
    severity_changed = "severity_changed"


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# What a client may write: wide enough for any real date, far enough from datetime's own ends
# (years 1 and 9999) that adding a retention, a shift or a window to it cannot overflow.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _to_utc(value: datetime) -> datetime:
    try:
        return _as_utc(value)
    except OverflowError:  # 0001-01-01T00:00+05:00 is before year 1 in UTC
        raise ValueError("is out of range once converted to UTC") from None


def within_bounds(value: datetime) -> datetime:
    """``value`` (aware, or a wall-clock time read as UTC) if between EARLIEST and LATEST, else
    a ValueError naming the range (a 422 naming the field)."""
    if not EARLIEST <= (value if value.tzinfo else value.replace(tzinfo=UTC)) < LATEST:
        raise ValueError(f"must be from {iso(EARLIEST)} to before {iso(LATEST)}")
    return value


UtcDatetime = Annotated[
    datetime,
    AfterValidator(_to_utc),
    AfterValidator(within_bounds),
    PlainSerializer(lambda v: iso(v), return_type=str, when_used="json"),
]
# A time the server works out (a handoff, a range's start) may lie a little outside the bounds
# of what clients write; it is still shown as UTC.
ComputedDatetime = Annotated[
    datetime,
    AfterValidator(_to_utc),
    PlainSerializer(lambda v: iso(v), return_type=str, when_used="json"),
]


def iso(value: datetime) -> str:
    """ISO-8601 in UTC with a `Z`, second precision: sortable as a string."""
    return _as_utc(value).isoformat(timespec="seconds").replace("+00:00", "Z")  # strftime drops year 1's zeros


def parse_time(value: str) -> datetime:
    return _as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))


def _wall_clock() -> datetime:
    return datetime.now(UTC)


_clock: Callable[[], datetime] = _wall_clock


def utcnow() -> datetime:
    """The one clock the handlers read (decisions take `now` as an argument)."""
    return _clock()


def set_clock(clock: Callable[[], datetime] | None) -> None:
    """Simulated time for the local stack's demo; None restores the wall clock."""
    global _clock
    _clock = clock or _wall_clock


def epoch(value: datetime) -> int:
    return int(_as_utc(value).timestamp())


def floor_minute(value: datetime) -> datetime:
    return _as_utc(value).replace(second=0, microsecond=0)


def new_id() -> str:
    return uuid.uuid4().hex[:20]


def digest(data: Any, length: int = 16) -> str:
    """A stable short hash of JSON-able data."""
    raw = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:length]


class Model(BaseModel):
    """Base for every model: unknown fields are errors, so a typo never passes silently."""

    # Validators are built on first use, not at import: a cold start pays only for the models it uses.
    model_config = ConfigDict(extra="forbid", validate_assignment=False, use_enum_values=False, defer_build=True)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy never inherits cached properties (a rule's hashes, a matcher's compiled
        pattern): the update may change what they were derived from."""
        copy = super().model_copy(update=update, deep=deep)
        for name in _cached_properties(type(self)):
            copy.__dict__.pop(name, None)
        return copy


@cache
def _cached_properties(model: type) -> tuple[str, ...]:
    return tuple(name for klass in model.__mro__ for name, v in vars(klass).items() if isinstance(v, cached_property))


class Stored(Model):
    """A configuration resource as stored: its spec, its id, and the fields the server sets."""

    ID_FIELD: ClassVar[str]
    version: int = 1
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None

    @classmethod
    def from_spec(cls, spec: Model, **server_fields: Any) -> Self:
        return cls.model_validate(spec.model_dump(exclude={cls.ID_FIELD}) | server_fields)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: `next_token` is opaque and absent on the last page."""

    items: list[T]
    next_token: str | None = None
