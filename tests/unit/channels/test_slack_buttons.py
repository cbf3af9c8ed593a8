"""Slack's action buttons: Acknowledge (firing), Resolve and "Silence 1 h" (open) on a channel with
a signing secret, none without one; every button, links included, carries the message's signed
value; a group's buttons act on all its alerts, and only when every one is listed."""

from __future__ import annotations

import json
from typing import Any

import boto3

from alerting.channels import sender_for
from alerting.channels.base import GroupMessage
from alerting.channels.http import HttpClient
from alerting.channels.render import MAX_GROUP_LINES
from alerting.channels.slack import group_payload, payload
from alerting.channels.slack_actions import ButtonKey, Target, read_value
from alerting.models.channels import Channel, ChannelType
from alerting_local.receiver import Receiver
from tests.unit.channels.builders import SLACK_PATH, acknowledged, alert_rule, make_alert, make_message, resolved

KEY = ButtonKey("ops-slack", "s3cr3t-signing-secret-value")


def elements(body: dict[str, Any]) -> list[dict[str, Any]]:
    found = [b for b in body["attachments"][0]["blocks"] if b["type"] == "actions"]
    return found[0]["elements"] if found else []


def action_ids(body: dict[str, Any]) -> list[str]:
    return [e.get("action_id", "") for e in elements(body)]


def test_a_firing_alert_gets_acknowledge_resolve_and_silence_then_its_links_all_with_one_signed_value() -> None:
    body, _ = payload(make_message(console_url="https://alerts.example.com"), KEY)

    buttons = elements(body)
    assert action_ids(body) == ["acknowledge", "resolve", "silence_1h", "open_runbook", "open_alert"]
    assert buttons[0] == {
        "type": "button",
        "text": {"type": "plain_text", "text": "Acknowledge"},
        "action_id": "acknowledge",
        "value": buttons[0]["value"],
        "style": "primary",
    }
    assert buttons[1]["confirm"]["text"]["text"] == "Resolve this alert?"
    assert buttons[2]["confirm"]["text"]["text"] == "Silence this alert for an hour?"
    assert {b["value"] for b in buttons} == {buttons[0]["value"]}
    assert read_value(buttons[0]["value"], KEY.secret) == Target("ops-slack", ("alert-1",))
    assert buttons[3]["url"] == "https://runbooks.example.com/high-cpu"


def test_an_acknowledged_alert_can_be_resolved_or_silenced_a_resolved_one_only_opened() -> None:
    ack, _ = payload(make_message(acknowledged(make_alert())), KEY)
    done, _ = payload(make_message(resolved(make_alert())), KEY)

    assert action_ids(ack) == ["resolve", "silence_1h", "open_runbook"]
    assert action_ids(done) == ["open_runbook"]


def test_once_silenced_from_the_message_it_offers_no_silence_and_its_value_says_so() -> None:
    body, _ = payload(make_message(), KEY, note="Silenced for 1 h by slack:U1 (alice)", silenced=True)

    assert action_ids(body) == ["acknowledge", "resolve", "open_runbook"]
    assert (target := read_value(elements(body)[0]["value"], KEY.secret)) is not None and target.silenced
    assert body["attachments"][0]["blocks"][1]["text"]["text"] == "*Silenced for 1 h by slack:U1 (alice)*"


def test_without_a_signing_secret_there_are_no_action_buttons_and_links_stay_plain() -> None:
    body, _ = payload(make_message())

    assert elements(body) == [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": "Runbook"},
            "url": "https://runbooks.example.com/high-cpu",
        }
    ]


def group(n: int, *statuses: str) -> GroupMessage:
    alerts = [make_alert(alert_rule(name="Fleet CPU")).model_copy(update={"alert_id": f"a-{i}"}) for i in range(n)]
    for i, status in enumerate(statuses):
        alerts[i] = acknowledged(alerts[i]) if status == "acknowledged" else resolved(alerts[i])
    return GroupMessage(tuple(alerts), "ops-slack:k:1796000000", {"rule_id": "fleet"})


def test_a_groups_buttons_act_on_every_alert_of_the_message() -> None:
    body = group_payload(group(3), KEY)

    assert action_ids(body) == ["acknowledge", "resolve", "silence_1h"]
    assert elements(body)[1]["confirm"]["text"]["text"] == "Resolve these 3 alerts?"
    assert read_value(elements(body)[0]["value"], KEY.secret) == Target(
        "ops-slack", ("a-0", "a-1", "a-2"), "ops-slack:k:1796000000"
    )


def test_a_group_offers_what_one_of_its_alerts_still_allows() -> None:
    assert action_ids(group_payload(group(2, "acknowledged"), KEY)) == ["acknowledge", "resolve", "silence_1h"]
    assert action_ids(group_payload(group(2, "acknowledged", "acknowledged"), KEY)) == ["resolve", "silence_1h"]
    assert action_ids(group_payload(group(2, "resolved", "resolved"), KEY)) == []


def test_a_group_with_more_alerts_than_it_lists_has_no_buttons_nobody_acts_on_what_they_cannot_see() -> None:
    assert action_ids(group_payload(group(MAX_GROUP_LINES), KEY)) == ["acknowledge", "resolve", "silence_1h"]
    assert action_ids(group_payload(group(MAX_GROUP_LINES + 1), KEY)) == []
    assert action_ids(group_payload(group(3))) == []  # no signing secret


def test_a_channel_with_a_signing_secret_sends_its_buttons_and_never_the_secret(
    receiver: Receiver, http: HttpClient, aws: boto3.Session
) -> None:
    channel = Channel(channel_id="ops-slack", name="#ops", type=ChannelType.slack, target={})
    secrets = {"webhook_url": receiver.url(SLACK_PATH), "signing_secret": KEY.secret}
    sender = sender_for(
        channel,
        secrets,
        http=http,
        ses_client=aws.client("ses"),
        sns_client=aws.client("sns"),
        email_sender="alerts@example.com",
        timeout=2.0,
    )

    sender.send(make_message())

    (request,) = receiver.received(SLACK_PATH)
    assert action_ids(request.json)[:3] == ["acknowledge", "resolve", "silence_1h"]
    assert read_value(elements(request.json)[0]["value"], KEY.secret) == Target("ops-slack", ("alert-1",))
    assert KEY.secret not in json.dumps(request.json)
