"""Acknowledge links: a token is the HMAC of its claims (short enough for an SMS), refused when it
names no claims, when the claims are not the ones signed (another alert, transition, channel or
expiry, another secret), and after its expiry; only a firing alert's e-mail or SMS gets one."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from alerting.ack_links import LIFETIME, AckLinks, Claims, Verdict, claims_for, link, sign, token_hash, verify
from alerting.models.channels import Channel, ChannelType
from alerting.models.common import epoch
from tests.factories import T0
from tests.unit.channels.builders import acknowledged, make_alert, resolved

SECRET = b"s" * 64
EMAIL = Channel(channel_id="ops-email", name="Ops e-mail", type=ChannelType.email, target={"to": ["o@example.com"]})
SMS = Channel(channel_id="ops-sms", name="Ops SMS", type=ChannelType.sms, target={"phone_number": "+4915100000000"})
SLACK = Channel(channel_id="ops-slack", name="Ops", type=ChannelType.slack, target={})
CLAIMS = Claims(
    alert_id="alert-1",
    seq=1,
    channel_id="ops-email",
    channel_name="Ops e-mail",
    channel_type=ChannelType.email,
    expires_at=epoch(T0 + LIFETIME),
)


def test_a_token_is_22_url_safe_characters_and_the_same_for_the_same_claims() -> None:
    token = sign(SECRET, CLAIMS)

    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", token)
    assert sign(SECRET, CLAIMS.model_copy()) == token  # a retried message issues the same link
    assert token_hash(token) != token and len(token_hash(token)) == 64


def test_a_token_with_its_claims_is_valid_until_it_expires() -> None:
    token = sign(SECRET, CLAIMS)

    assert verify(SECRET, token, CLAIMS, T0) is Verdict.valid
    assert verify(SECRET, token, CLAIMS, T0 + LIFETIME - timedelta(seconds=1)) is Verdict.valid
    assert verify(SECRET, token, CLAIMS, T0 + LIFETIME) is Verdict.expired


@pytest.mark.parametrize(
    "altered",
    [
        {"alert_id": "alert-2"},  # the link of another alert
        {"seq": 2},
        {"channel_id": "director-email"},  # acknowledged as someone else
        {"channel_name": "Director"},
        {"channel_type": ChannelType.sms},
        {"expires_at": epoch(T0 + LIFETIME * 30)},  # a longer life
    ],
)
def test_claims_that_are_not_the_ones_signed_are_unknown(altered: dict[str, object]) -> None:
    token = sign(SECRET, CLAIMS)

    assert verify(SECRET, token, CLAIMS.model_copy(update=altered), T0) is Verdict.unknown


def test_a_tampered_token_another_secret_or_no_claims_is_unknown() -> None:
    token = sign(SECRET, CLAIMS)
    flipped = ("A" if token[0] != "A" else "B") + token[1:]

    assert verify(SECRET, flipped, CLAIMS, T0) is Verdict.unknown
    assert verify(b"another secret, rotated since", token, CLAIMS, T0) is Verdict.unknown
    assert verify(SECRET, token, None, T0) is Verdict.unknown
    assert verify(SECRET, "", CLAIMS, T0) is Verdict.unknown


def test_the_actor_is_the_channel_with_its_name() -> None:
    assert CLAIMS.actor == "channel:ops-email (Ops e-mail)"


@pytest.mark.parametrize("channel", [EMAIL, SMS])
def test_a_firing_alerts_email_and_sms_get_claims_expiring_a_day_after_the_transition(channel: Channel) -> None:
    alert = make_alert()

    claims = claims_for(alert, 3, channel)

    assert claims is not None
    assert (claims.alert_id, claims.seq, claims.channel_id, claims.channel_type) == (
        alert.alert_id,
        3,
        channel.channel_id,
        channel.type,
    )
    assert claims.expires_at == epoch(alert.last_transition.at + timedelta(hours=24))


@pytest.mark.parametrize(
    ("alert", "channel"),
    [
        (make_alert(), SLACK),  # Slack has its own buttons
        (acknowledged(make_alert()), EMAIL),  # nothing left to acknowledge
        (resolved(make_alert()), SMS),
    ],
)
def test_no_link_where_nothing_can_be_acknowledged_or_the_channel_has_none(alert: object, channel: Channel) -> None:
    assert claims_for(alert, 1, channel) is None  # type: ignore[arg-type]


def test_issuing_keeps_the_claims_under_the_tokens_hash_and_links_to_the_ingest_api() -> None:
    kept: dict[str, Claims] = {}
    links = AckLinks("https://ingest.example.com/v1/", lambda: SECRET, kept.__setitem__)

    url = links(make_alert(), 1, EMAIL)

    assert url is not None
    token = url.removeprefix("https://ingest.example.com/v1/ack?t=")
    assert url == link("https://ingest.example.com/v1", token)
    assert verify(SECRET, token, kept[token_hash(token)], T0) is Verdict.valid
    assert links(make_alert(), 1, SLACK) is None and len(kept) == 1


def test_an_sms_with_its_link_fits_one_message_on_execute_api() -> None:
    base = "https://abcdefghij.execute-api.ap-southeast-2.amazonaws.com/v1"

    assert len(link(base, sign(SECRET, CLAIMS))) <= 96  # leaves 140 - 96 - len(" Ack: ") for the text
