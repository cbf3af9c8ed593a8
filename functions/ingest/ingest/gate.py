"""The ingest API's door: every request under a protocol's prefix shows a key before any route
runs. The key names its owner (an integration or a heartbeat: `KeyStore`, one GetItem), which
must be enabled and of a kind the protocol takes; each owner has its own request rate (a token
bucket: 429 with `Retry-After` past it). Routes read who came in with `admitted()`.

Where a key is: `Authorization: Bearer <key>`, or basic auth with the key as the password (what
Prometheus, amtool and Alertmanager send): `HEADER`; or a segment of the path (`/ping/<key>`):
`PATH`. A protocol that carries it elsewhere (PagerDuty's `routing_key`, in the body) brings its
own `KeyIn`; one whose requests are signed instead has the door `SIGNED`.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from alerting.errors import Forbidden, RateLimited, Unauthorized
from alerting.models.heartbeats import Heartbeat
from alerting.models.integrations import Integration, IntegrationType, key_hash, key_matches
from alerting.repositories.keys import KeyStore
from alerting.repositories.quotas import Rate, RateLimiter

Owner = Integration | Heartbeat
UNKNOWN = "unknown or revoked key"


@dataclass(frozen=True)
class Admitted:
    """Who a key let in: an integration (its type, labels, severity) or a heartbeat."""

    kind: str  # "integration" or "heartbeat": the key's owner kind (alerting.kinds)
    owner: Owner

    @property
    def subject(self) -> str:
        """Whose request rate this request counts toward."""
        return f"{self.kind}#{getattr(self.owner, type(self.owner).ID_FIELD)}"

    @property
    def integration(self) -> Integration:
        """The integration (a protocol whose door takes only integrations' keys)."""
        if not isinstance(self.owner, Integration):
            raise TypeError(f"a {self.kind} came in, not an integration")
        return self.owner

    def describe(self) -> str:
        if isinstance(self.owner, Integration):
            return f"the key of {self.owner.type.value} integration {self.owner.integration_id!r}"
        return f"the key of {self.kind} {getattr(self.owner, type(self.owner).ID_FIELD)!r}"


Accepts = Callable[[Admitted], bool]


def anyone(admitted: Admitted) -> bool:
    return True


def integrations(*types: IntegrationType) -> Accepts:
    """Only the keys of integrations of these types."""
    return lambda admitted: isinstance(admitted.owner, Integration) and admitted.owner.type in types


# -- where the key is ------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyIn:
    """Where a protocol's requests carry their key (``read`` gets the request and its path below
    the protocol's prefix), and the OpenAPI security schemes that say so (none: the path)."""

    read: Callable[[APIGatewayProxyEvent, str], str | None]
    schemes: tuple[str, ...] = ()


def header_key(request: APIGatewayProxyEvent, tail: str) -> str | None:
    """`Authorization: Bearer <key>`, or `Basic` with the key as the password."""
    scheme, _, credentials = (request.headers.get("authorization") or "").strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer":
        return credentials or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


def path_key(request: APIGatewayProxyEvent, tail: str) -> str | None:
    """The first segment below the prefix: `/ping/<key>/fail` → `<key>`."""
    return tail.lstrip("/").split("/", 1)[0] or None


HEADER = KeyIn(header_key, ("bearer", "basic"))
PATH = KeyIn(path_key)


@dataclass(frozen=True)
class Door:
    """A protocol's door: where its key is (None: no key, see `SIGNED`), and whose keys it takes."""

    key: KeyIn | None = HEADER
    accepts: Accepts = anyone


# A protocol whose every request carries its own proof, which its routes check (an acknowledge
# link's token, Slack's signature): no key, so no owner and no owner's request rate.
SIGNED = Door(key=None)


# -- letting in ------------------------------------------------------------------------------------


@dataclass
class Gate:
    keys: KeyStore
    owners: Mapping[str, Callable[[str], Owner | None]]  # a key owner's kind → its lookup by id
    limiter: RateLimiter
    rate: Rate

    def admit(self, key: str | None, accepts: Accepts, now: datetime) -> Admitted:
        """Who ``key`` lets in at ``now``, with one request counted toward their rate; else
        Unauthorized (no key, unknown, revoked), Forbidden (disabled, another protocol's) or
        RateLimited."""
        if not key:
            raise Unauthorized("a key is required (Authorization: Bearer <key>, or basic auth with it as password)")
        found = self.keys.owner(key_hash(key))
        lookup = self.owners.get(found.kind) if found is not None else None
        owner = lookup(found.owner_id) if found is not None and lookup is not None else None
        if found is None or owner is None or not key_matches(key, owner.key_hash):  # a rotation in flight
            raise Unauthorized(UNKNOWN)
        admitted = Admitted(found.kind, owner)
        if not owner.enabled and not isinstance(owner, Heartbeat):  # a disabled heartbeat's pings count, alert nothing
            raise Forbidden(f"{admitted.describe()} is disabled")
        if not accepts(admitted):
            raise Forbidden(f"{admitted.describe()} is not for this API")
        wait = self.limiter.take(self.rate, admitted.subject, now)
        if wait:
            retry = max(1, math.ceil(wait))
            raise RateLimited(f"at most {self.rate.per_second} requests a second; retry in {retry} s", retry)
        return admitted


_admitted: ContextVar[Admitted | None] = ContextVar("admitted", default=None)


def admitted() -> Admitted:
    """Who the request being answered came in as (set by the door before any route runs)."""
    found = _admitted.get()
    if found is None:
        raise LookupError("no key was checked for this request: is its route under a protocol's prefix?")
    return found


def let_in(admitted: Admitted | None) -> Callable[[], None]:
    """``admitted`` for the routes of the request about to be answered; returns the undo."""
    token = _admitted.set(admitted)
    return lambda: _admitted.reset(token)
