"""Slack's request signature (its documented test vector), the freshness of its timestamp, the
buttons' signed values, the interaction payload, and where a response_url may point."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest

from alerting.channels.slack_actions import (
    MAX_VALUE,
    ButtonKey,
    Target,
    button_value,
    claimed_channel,
    interaction,
    read_value,
    response_url_problem,
    sign_request,
    signature_matches,
    stale,
)

# "Verifying requests from Slack" (docs.slack.dev/authentication/verifying-requests-from-slack):
# its worked example, a slash command's body signed with a sample signing secret.
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_TIMESTAMP = "1531420618"
SLACK_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SLACK_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"

KEY = ButtonKey("ops-slack", "s3cr3t-signing-secret-value")


def test_slacks_documented_request_signs_to_its_documented_signature() -> None:
    assert sign_request(SLACK_SECRET, SLACK_TIMESTAMP, SLACK_BODY) == SLACK_SIGNATURE
    assert signature_matches(SLACK_SECRET, SLACK_TIMESTAMP, SLACK_BODY, SLACK_SIGNATURE)


@pytest.mark.parametrize(
    ("secret", "timestamp", "body", "signature"),
    [
        ("another-secret-of-the-same-kind", SLACK_TIMESTAMP, SLACK_BODY, SLACK_SIGNATURE),
        (SLACK_SECRET, "1531420619", SLACK_BODY, SLACK_SIGNATURE),  # the timestamp is signed too
        (SLACK_SECRET, SLACK_TIMESTAMP, SLACK_BODY + b"&text=x", SLACK_SIGNATURE),
        (SLACK_SECRET, SLACK_TIMESTAMP, SLACK_BODY, SLACK_SIGNATURE.upper()),
        (SLACK_SECRET, SLACK_TIMESTAMP, SLACK_BODY, SLACK_SIGNATURE[3:]),  # without its version
        (SLACK_SECRET, SLACK_TIMESTAMP, SLACK_BODY, ""),
    ],
    ids=["other secret", "other time", "other body", "upper case", "no v0=", "empty"],
)
def test_a_signature_of_anything_else_does_not_match(secret: str, timestamp: str, body: bytes, signature: str) -> None:
    assert not signature_matches(secret, timestamp, body, signature)


NOW = 1_795_708_800


@pytest.mark.parametrize(
    ("timestamp", "problem"),
    [
        (str(NOW), None),
        (str(NOW - 300), None),  # five minutes old: still fresh
        (str(NOW + 300), None),  # a clock five minutes ahead
        (str(NOW - 301), "more than five minutes off"),
        (str(NOW + 301), "more than five minutes off"),
        (None, "missing"),
        ("", "missing"),
        ("16e8", "not a Unix time"),
        ("-1", "not a Unix time"),
        ("9" * 400, "not a Unix time"),
    ],
)
def test_a_timestamp_over_five_minutes_off_is_stale(timestamp: str | None, problem: str | None) -> None:
    found = stale(timestamp, NOW)

    assert found == problem or (problem is not None and found is not None and problem in found)


def test_a_buttons_value_names_its_channel_and_alerts_and_is_signed_with_the_channels_secret() -> None:
    target = Target("ops-slack", ("alert-1", "alert-2"), "ops-slack:abc:1795708800", silenced=True)
    value = button_value(KEY, target)

    assert value is not None
    assert read_value(value) == target  # unverified: the channel whose secret checks the request
    assert read_value(value, KEY.secret) == target
    assert read_value(value, "another-channels-secret") is None


@pytest.mark.parametrize(
    "change",
    [
        lambda v: v | {"a": ["someone-elses-alert"]},
        lambda v: v | {"c": "other-channel"},
        lambda v: v | {"g": "other-group"},
        lambda v: {k: x for k, x in v.items() if k != "m"},
        lambda v: v | {"m": 5},
    ],
    ids=["alerts", "channel", "group", "no mac", "mac not text"],
)
def test_a_value_changed_by_anyone_without_the_secret_acts_on_nothing(change: Callable[[dict[str, Any]], Any]) -> None:
    value = json.loads(button_value(KEY, Target("ops-slack", ("alert-1",))) or "")

    assert read_value(json.dumps(change(value)), KEY.secret) is None


@pytest.mark.parametrize("value", ["", "[]", "{", '{"c": 1, "a": []}', '{"c": "x", "a": [1]}', "x" * (MAX_VALUE + 1)])
def test_a_value_that_is_not_ours_reads_as_nothing(value: str) -> None:
    assert read_value(value) is None


def test_a_value_over_slacks_two_thousand_characters_is_not_made() -> None:
    many = tuple(f"alert-{i:040d}" for i in range(60))

    assert button_value(KEY, Target("ops-slack", many)) is None
    assert len(button_value(KEY, Target("ops-slack", many[:20])) or "") <= MAX_VALUE


def click(value: str, *, action_id: str = "acknowledge", **fields: object) -> str:
    """A block_actions payload as Slack posts it: form-encoded, the JSON in `payload`."""
    payload = {
        "type": "block_actions",
        "user": {"id": "U0123ABC", "username": "alice", "name": "alice", "team_id": "T1"},
        "actions": [{"type": "button", "action_id": action_id, "value": value, "action_ts": "1795708800.1"}],
        "response_url": "https://hooks.slack.com/actions/T1/1/abc",
        **fields,
    }
    return urlencode({"payload": json.dumps(payload)})


def test_an_interaction_is_read_from_its_form_encoded_payload_and_names_its_actor() -> None:
    value = button_value(KEY, Target("ops-slack", ("alert-1",))) or ""

    found = interaction(click(value))

    assert found is not None
    assert (found.type, found.actions[0].action_id, found.actions[0].value) == ("block_actions", "acknowledge", value)
    assert found.actor == "slack:U0123ABC (alice)"
    assert claimed_channel(click(value)) == "ops-slack"


def test_a_value_naming_anything_but_a_channel_id_claims_no_channel() -> None:
    for claimed in ("x" * 2000, "Ops Slack", "../ops", ""):
        value = button_value(ButtonKey(claimed, KEY.secret), Target(claimed, ("alert-1",)))

        assert value is None or claimed_channel(click(value)) is None


def test_an_actor_without_a_name_is_its_slack_id() -> None:
    body = urlencode({"payload": json.dumps({"type": "block_actions", "user": {"id": "U9"}, "actions": []})})

    assert (found := interaction(body)) is not None and found.actor == "slack:U9"


@pytest.mark.parametrize(
    "body",
    [
        "",
        "payload=",
        "payload=not-json",
        urlencode({"payload": json.dumps({"type": "block_actions"})}),  # no user
        urlencode({"payload": "[" * 5000 + "]" * 5000}),
        urlencode([("payload", "{}"), ("payload", "{}")]),
        "&".join(f"f{i}=x" for i in range(100)),
    ],
    ids=["empty", "blank", "not json", "no user", "deep", "twice", "many fields"],
)
def test_a_body_that_carries_no_interaction_claims_no_channel(body: str) -> None:
    assert interaction(body) is None or claimed_channel(body) is None


@pytest.mark.parametrize(
    ("url", "allow_private", "allowed"),
    [
        ("https://hooks.slack.com/actions/T1/1/abc", False, True),
        ("https://hooks.slack-gov.com/actions/T1/1/abc", False, True),
        ("https://HOOKS.SLACK.COM./actions/T1/1/abc", False, True),
        ("http://hooks.slack.com/actions/T1/1/abc", False, False),
        ("https://hooks.slack.com.evil.example/actions", False, False),
        ("https://evil.example/?hooks.slack.com", False, False),
        ("https://user@evil.example/", False, False),
        ("http://127.0.0.1:9/actions", False, False),
        ("http://169.254.169.254/latest/meta-data", False, False),
        ("http://127.0.0.1:9/actions", True, True),  # local mode: the Slack stand-in
        ("http://localhost:9/actions", True, True),
        ("http://169.254.169.254/latest/meta-data", True, False),
        ("https://evil.example/", True, False),
        ("ftp://127.0.0.1/", True, False),
        ("http://[::1", True, False),
    ],
)
def test_a_response_url_is_only_ever_slacks(url: str, allow_private: bool, allowed: bool) -> None:
    assert (response_url_problem(url, allow_private) is None) is allowed
