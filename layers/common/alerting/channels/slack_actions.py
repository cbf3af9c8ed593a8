"""Slack's buttons, and the requests their clicks send back (docs/notifications.md, "Buttons").

A Slack channel with a signing secret gets Acknowledge, Resolve and "Silence 1 h" buttons on its
messages. A click reaches the ingest API's `POST /slack/interactions` (the Slack app's
Interactivity Request URL) as a form field ``payload`` holding JSON; Slack signs each request:
``X-Slack-Signature: v0=<hex>``, the HMAC-SHA256 of ``v0:<X-Slack-Request-Timestamp>:<raw body>``
keyed with the app's signing secret ("Verifying requests from Slack"). One app's Request URL
serves all its channels, so the button's ``value`` names its channel (whose secret then checks
the request) and the alerts it acts on; the value carries its own MAC with that secret, so a
button somebody else posted through the webhook URL acts on nothing.

Everything here is pure: the endpoint (`ingest.routes.slack`) reads headers and secrets and
hands them in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alerting import json_limits
from alerting.models.common import ID_PATTERN

ACKNOWLEDGE, RESOLVE, SILENCE = "acknowledge", "resolve", "silence_1h"
OPEN = "open"  # a link button (runbook, alert): Slack reports its click too, and nothing is done
SILENCE_FOR = timedelta(hours=1)
MAX_VALUE = 2000  # characters in a button's value (Block Kit)
MAX_AGE_SECONDS = 300  # Slack's advice: refuse a request whose timestamp is over five minutes off
KEEP_SIGNATURE_SECONDS = 600  # a signature is remembered (refused again) past its timestamp's window
# Where a response_url may point: Slack's (and GovSlack's) hooks, nothing else (SSRF).
RESPONSE_HOSTS = ("hooks.slack.com", "hooks.slack-gov.com")
ACTOR_NAME = 80


@dataclass(frozen=True)
class ButtonKey:
    """What a channel's buttons are signed with: its id and its Slack app's signing secret."""

    channel_id: str
    secret: str


@dataclass(frozen=True)
class Target:
    """What a button acts on: alerts of one channel's message (a group's, with its id); and
    whether that message's alerts were silenced from it (no "Silence 1 h" any more)."""

    channel_id: str
    alert_ids: tuple[str, ...]
    group_id: str | None = None
    silenced: bool = False


def button_value(key: ButtonKey, target: Target) -> str | None:
    """The signed value every button of a message carries; None when it would exceed Slack's
    2,000 characters (the message then has no buttons to act with)."""
    fields: dict[str, Any] = {"c": target.channel_id, "a": list(target.alert_ids)}
    if target.group_id is not None:
        fields["g"] = target.group_id
    if target.silenced:
        fields["s"] = 1
    value = json.dumps({**fields, "m": _mac(key.secret, fields)}, separators=(",", ":"))
    return value if len(value) <= MAX_VALUE else None


def read_value(value: str, secret: str | None = None) -> Target | None:
    """The target a button's value names; with ``secret``, only if the value is signed with it
    (without, the channel it claims: which secret to check the request with)."""
    try:
        fields = json.loads(value) if len(value) <= MAX_VALUE else None
    except ValueError:
        return None
    if not isinstance(fields, dict):
        return None
    mac = fields.pop("m", None)
    channel, alert_ids, group = fields.get("c"), fields.get("a"), fields.get("g")
    if (
        not isinstance(channel, str)
        or not isinstance(alert_ids, list)
        or not all(isinstance(a, str) for a in alert_ids)
    ):
        return None
    if group is not None and not isinstance(group, str):
        return None
    if secret is not None and not (isinstance(mac, str) and hmac.compare_digest(mac, _mac(secret, fields))):
        return None
    return Target(channel, tuple(alert_ids), group, bool(fields.get("s")))


def _mac(secret: str, fields: dict[str, Any]) -> str:
    """ "button:" keeps a value's MAC from ever being a request signature, or the other way round."""
    signed = "button:" + json.dumps(fields, separators=(",", ":"), sort_keys=True)
    digest = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


# -- Slack's request signature ----------------------------------------------------------------------


def sign_request(secret: str, timestamp: str, body: bytes) -> str:
    """``X-Slack-Signature`` of ``body`` sent at ``timestamp``, as Slack computes it."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signature_matches(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign_request(secret, timestamp, body).encode(), signature.encode())


def stale(timestamp: str | None, now: int) -> str | None:
    """What is wrong with ``X-Slack-Request-Timestamp`` at ``now`` (epoch seconds): missing, not
    a number, or more than five minutes off (a replay of an old request); None when fresh."""
    if not timestamp:
        return "X-Slack-Request-Timestamp is missing"
    if not timestamp.isdigit() or len(timestamp) > 12:
        return "X-Slack-Request-Timestamp is not a Unix time"
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return "X-Slack-Request-Timestamp is more than five minutes off"
    return None


# -- the interaction ---------------------------------------------------------------------------------

Text = Annotated[str, Field(max_length=255)]


class SlackUser(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: Text
    username: Text = ""
    name: Text = ""


class SlackAction(BaseModel):
    model_config = ConfigDict(extra="ignore")

    action_id: Text
    value: Annotated[str, Field(max_length=MAX_VALUE)] = ""
    action_ts: Text = ""


class Interaction(BaseModel):
    """The part of Slack's interaction payload we read: a ``block_actions`` click of a button."""

    model_config = ConfigDict(extra="ignore")

    type: Text
    user: SlackUser
    actions: list[SlackAction] = []
    response_url: Annotated[str, Field(max_length=2048)] | None = None

    @property
    def actor(self) -> str:
        """Who acted, as the alert's history names them: ``slack:U0123 (alice)``."""
        name = (self.user.username or self.user.name)[:ACTOR_NAME]
        return f"slack:{self.user.id} ({name})" if name else f"slack:{self.user.id}"


def interaction(body: str) -> Interaction | None:
    """The interaction a request's body carries (``payload=<JSON>``, form-encoded); None when it
    carries none we can read."""
    try:
        payloads = parse_qs(body, max_num_fields=20).get("payload", [])
    except ValueError:  # more fields than any of Slack's requests carries
        return None
    if len(payloads) != 1 or json_limits.depth_exceeds(payloads[0]):
        return None
    try:
        return Interaction.model_validate_json(payloads[0])
    except ValidationError:
        return None


def claimed_channel(body: str) -> str | None:
    """The channel a request's button value names (not yet verified: whose secret to check with);
    None unless it is a channel id at all (nothing else is looked up)."""
    found = interaction(body)
    if found is None or len(found.actions) != 1:
        return None
    target = read_value(found.actions[0].value)
    return target.channel_id if target and re.fullmatch(ID_PATTERN, target.channel_id) else None


def response_url_problem(url: str, allow_private: bool) -> str | None:
    """Why a response_url may not be posted to: only https to Slack's hooks hosts (an attacker's
    URL is never called); local mode also admits the loopback and private stand-ins."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".").lower()
    except ValueError:
        return "is not a URL"
    if parts.scheme == "https" and host in RESPONSE_HOSTS:
        return None
    if allow_private and parts.scheme in ("http", "https") and _local(host):
        return None
    return f"is not a Slack response URL (https://{RESPONSE_HOSTS[0]}/...)"


def _local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or (address.is_private and not address.is_link_local)  # never the metadata service
