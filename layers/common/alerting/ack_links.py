"""Acknowledge links in e-mail and SMS (§18): a link to a confirm page on the ingest API whose
form acknowledges one alert, as the channel the message was sent to (``channel:<id> (<name>)``).

A link is ``<ingest URL>/ack?t=<token>``, short enough for an SMS: the token is the first 128
bits of HMAC-SHA256, keyed with the stack's signing secret, over the link's claims (the alert,
the transition's seq, the channel, when the link expires), in 22 URL-safe characters. The notifier
keeps the claims under the token's SHA-256 (`alerting.repositories.ack_links`); the ingest API
finds them by it and signs them again: a token nobody issued finds nothing, and claims that do
not sign to their token (altered, or signed with a secret since rotated) are refused alike.
A link expires 24 hours after its transition, and acts once (`alerting.repositories.used_tokens`).

Everything here is pure; the secret, the store and the clock are handed in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from alerting.models.alerts import Alert
from alerting.models.channels import Channel, ChannelType
from alerting.models.common import AlertStatus, epoch

LIFETIME = timedelta(hours=24)  # from the transition the message announced
TOKEN_BYTES = 16  # 128 bits of the MAC: 22 characters of base64url
LINKED = (ChannelType.email, ChannelType.sms)  # the channels whose messages carry a link
GROUP_LINKED = (ChannelType.email,)  # and a link per alert in a grouped message (an SMS has no room)
PATH = "/ack"  # on the ingest API
TOKEN_PARAMETER = "t"


class Claims(BaseModel):
    """What a link stands for: acknowledge ``alert_id`` as the channel it was sent to, until ``expires_at``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alert_id: str
    seq: int  # the transition the message announced
    channel_id: str
    channel_name: str
    channel_type: ChannelType
    expires_at: int  # epoch seconds

    @property
    def actor(self) -> str:
        """Who acknowledges through the link: the channel it was sent to (`channel:ops-email (Ops e-mail)`)."""
        return f"channel:{self.channel_id} ({self.channel_name})"

    def canonical(self) -> bytes:
        """The bytes that are signed: the claims as sorted, compact JSON (no two claims alike)."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":")).encode()


class Verdict(StrEnum):
    valid = "valid"
    unknown = "unknown"  # no such link, or claims that do not sign to it
    expired = "expired"


def sign(secret: bytes, claims: Claims) -> str:
    digest = hmac.new(secret, b"ack-link:v1:" + claims.canonical(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:TOKEN_BYTES]).decode().rstrip("=")


def token_hash(token: str) -> str:
    """What a token is kept and found under: never the token itself (a bearer credential)."""
    return hashlib.sha256(token.encode()).hexdigest()


def verify(secret: bytes, token: str, claims: Claims | None, now: datetime) -> Verdict:
    """Whether ``token`` (found with ``claims``; None: nothing kept under its hash) acts at ``now``."""
    if claims is None or not hmac.compare_digest(sign(secret, claims), token):
        return Verdict.unknown
    return Verdict.valid if epoch(now) < claims.expires_at else Verdict.expired


def claims_for(alert: Alert, seq: int, channel: Channel) -> Claims | None:
    """A link's claims for the message announcing ``alert`` as of transition ``seq`` on
    ``channel``; None where no link belongs: a channel without links, or an alert nobody can
    acknowledge any more (acknowledged, resolved)."""
    if channel.type not in LINKED or alert.status is not AlertStatus.firing:
        return None
    return Claims(
        alert_id=alert.alert_id,
        seq=seq,
        channel_id=channel.channel_id,
        channel_name=channel.name,
        channel_type=channel.type,
        expires_at=epoch(alert.last_transition.at + LIFETIME),
    )


def link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{PATH}?{TOKEN_PARAMETER}={token}"


@dataclass(frozen=True)
class AckLinks:
    """Issues the notifier's links: signs a message's claims and keeps them under the token's
    hash (``keep``; the same claims make the same token, so a retried round keeps them again)."""

    base_url: str  # the ingest API's public URL
    secret: Callable[[], bytes]
    keep: Callable[[str, Claims], None]  # (token hash, claims)

    def __call__(self, alert: Alert, seq: int, channel: Channel) -> str | None:
        claims = claims_for(alert, seq, channel)
        if claims is None:
            return None
        token = sign(self.secret(), claims)
        self.keep(token_hash(token), claims)
        return link(self.base_url, token)
