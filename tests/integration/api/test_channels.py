"""/channels through the handler: per-type targets, write-only secrets in SSM, test sends."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from typing import Any

import pytest

from alerting_local.receiver import Receiver, Reply
from tests.factories import rule_data

HOOK_SECRET = "s3cr3t-hmac-key"
TEAMS_WORKFLOW = "https://prod-27.westeurope.logic.azure.com:443/workflows/0f1e/triggers/manual/paths/invoke?sig=s1g"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


def ssm_parameters(aws: Any) -> dict[str, str]:
    ssm = aws.client("ssm")
    names = [p["Name"] for p in ssm.describe_parameters()["Parameters"]]
    return {n: ssm.get_parameter(Name=n, WithDecryption=True)["Parameter"]["Value"] for n in names}


def webhook(receiver: Receiver, **overrides: Any) -> dict[str, Any]:
    return {
        "channel_id": "hook",
        "name": "Ops webhook",
        "type": "webhook",
        "target": {"url": receiver.url("/hook"), "secret": HOOK_SECRET},
    } | overrides


def test_create_webhook_stores_secrets_in_ssm_and_never_returns_them(api, aws, receiver):
    reply = api.post("/channels", webhook(receiver))

    assert reply.status == 201
    assert reply.body["target"] == {
        "url": {"secret": True, "set": True},
        "secret": {"secret": True, "set": True},
    }
    assert (reply.body["version"], reply.body["enabled"]) == (1, True)
    prefix = aws.env("ApiFunction")["SECRETS_PREFIX"]
    assert ssm_parameters(aws) == {
        f"{prefix}/hook/url": receiver.url("/hook"),
        f"{prefix}/hook/secret": HOOK_SECRET,
    }
    assert HOOK_SECRET not in reply.text and receiver.url("/hook") not in reply.text


@pytest.mark.parametrize(
    ("channel", "target"),
    [
        ({"type": "email", "target": {"to": ["oncall@example.com"]}}, {"to": ["oncall@example.com"]}),
        (
            {"type": "email", "target": {"to": ["oncall@example.com"], "sender": "team@example.com"}},
            {"to": ["oncall@example.com"], "sender": "team@example.com"},
        ),
        # a sender in any case is stored as `OtherEmailSenders` spells it, as the IAM condition does
        (
            {"type": "email", "target": {"to": ["oncall@example.com"], "sender": "TEAM@Example.COM"}},
            {"to": ["oncall@example.com"], "sender": "team@example.com"},
        ),
        (
            {"type": "sns", "target": {"topic_arn": "arn:aws:sns:us-east-1:123456789012:ops"}},
            {"topic_arn": "arn:aws:sns:us-east-1:123456789012:ops"},
        ),
        (
            {"type": "slack", "target": {"webhook_url": "https://hooks.slack.com/services/T/B/X"}},
            {"webhook_url": {"secret": True, "set": True}, "signing_secret": {"secret": True, "set": False}},
        ),
        (  # the Slack app's signing secret: its messages get buttons (docs/notifications.md)
            {
                "type": "slack",
                "target": {
                    "webhook_url": "https://hooks.slack.com/services/T/B/X",
                    "signing_secret": "8f742231b10e8888abcd99yyyzzz85a5",
                },
            },
            {"webhook_url": {"secret": True, "set": True}, "signing_secret": {"secret": True, "set": True}},
        ),
        (
            {"type": "webhook", "target": {"url": "https://example.com/hook"}},
            {"url": {"secret": True, "set": True}, "secret": {"secret": True, "set": False}},
        ),
        (
            {"type": "teams", "target": {"webhook_url": TEAMS_WORKFLOW}},
            {"webhook_url": {"secret": True, "set": True}},
        ),
    ],
)
def test_create_each_type_shows_plain_fields_and_masks_secret_ones(api, channel, target):
    reply = api.post("/channels", {"name": "c", **channel})
    assert reply.status == 201
    assert reply.body["target"] == target
    assert api.get(f"/channels/{reply.body['channel_id']}").body == reply.body


@pytest.mark.parametrize(
    ("channel", "status", "fields"),
    [
        ({"type": "slack", "target": {}}, 422, ["target.webhook_url"]),
        ({"type": "email", "target": {"to": ["not-an-address"]}}, 422, ["target.to.0"]),
        ({"type": "email", "target": {"to": []}}, 422, ["target.to"]),
        ({"type": "sns", "target": {"topic_arn": "ops"}}, 422, ["target.topic_arn"]),
        # outside what the functions' IAM allows: any topic of the account, any verified sender
        (
            {"type": "sns", "target": {"topic_arn": "arn:aws:sns:us-east-1:123456789012:other"}},
            400,
            ["target.topic_arn"],
        ),
        ({"type": "email", "target": {"to": ["a@b.c"], "sender": "ceo@example.com"}}, 400, ["target.sender"]),
        ({"type": "webhook", "target": {"url": "https://x", "secret": "short"}}, 422, ["target.secret"]),
        ({"type": "webhook", "target": {"url": "https://x", "extra": 1}}, 422, ["target.extra"]),
        ({"type": "webhook", "target": {"url": "ftp://example.com/hook"}}, 400, ["target.url"]),
        ({"type": "slack", "target": {"webhook_url": "hooks.slack.com"}}, 400, ["target.webhook_url"]),
        # a Teams target outside the workflow hosts, and a retired Office 365 connector
        ({"type": "teams", "target": {"webhook_url": "https://evil.example/hook"}}, 400, ["target.webhook_url"]),
        (
            {"type": "teams", "target": {"webhook_url": "https://contoso.webhook.office.com/webhookb2/x"}},
            400,
            ["target.webhook_url"],
        ),
        ({"type": "teams", "target": {}}, 422, ["target.webhook_url"]),
        ({"type": "pager", "target": {}}, 422, ["type"]),
        (
            {"type": "email", "target": {"to": ["a@b.c"]}, "template": {"subject": "{{ oops"}},
            422,
            ["template.subject"],
        ),
        (
            {
                "type": "email",
                "target": {"to": ["a@b.c"]},
                "template": {
                    "body": "{% set r = range(100000) %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}"
                },
            },
            422,
            ["template.body"],
        ),
        (
            {
                "type": "email",
                "target": {"to": ["a@b.c"]},
                "template": {"subject": "{% if false %}{{ '%50000000s'|format('x') }}{% endif %}"},
            },
            422,
            ["template.subject"],
        ),
        (
            {"type": "email", "target": {"to": ["a@b.c"]}, "filters": {"events": ["exploded"]}},
            422,
            ["filters.events.0"],
        ),
    ],
)
def test_create_invalid_channel_names_the_field(api, channel, status, fields):
    reply = api.post("/channels", {"name": "c", **channel})
    assert reply.status == status, reply.body
    assert [e["field"] for e in reply.body["errors"]] == fields


def test_private_targets_are_refused_unless_the_deployment_allows_them(api, monkeypatch):
    monkeypatch.setenv("ALLOW_PRIVATE_WEBHOOK_TARGETS", "false")
    for url in ("https://127.0.0.1/hook", "http://hooks.example.com/x"):
        reply = api.post("/channels", {"name": "c", "type": "webhook", "target": {"url": url}})
        assert (reply.status, reply.body["errors"][0]["field"]) == (400, "target.url")
        assert url not in reply.text


def test_create_with_a_taken_id_is_409_and_keeps_the_first_channels_secret(api, aws, receiver):
    api.post("/channels", webhook(receiver))
    reply = api.post("/channels", webhook(receiver, target={"url": "https://evil.example/x", "secret": "x" * 10}))
    assert reply.status == 409
    assert HOOK_SECRET in ssm_parameters(aws).values()


def test_list_channels_pages(api):
    for i in range(3):
        api.post("/channels", {"channel_id": f"c{i}", "name": "c", "type": "email", "target": {"to": ["a@b.c"]}})
    first = api.get("/channels", {"limit": "2"}).body
    second = api.get("/channels", {"limit": "2", "next_token": first["next_token"]}).body
    assert [c["channel_id"] for c in first["items"] + second["items"]] == ["c0", "c1", "c2"]


def test_update_without_secret_fields_keeps_the_stored_secrets(api, aws, receiver):
    created = api.post("/channels", webhook(receiver)).body

    # A GET body sent back as is (with the masks) changes nothing but what was edited
    reply = api.put("/channels/hook", {**created, "name": "Renamed"})

    assert (reply.status, reply.body["name"], reply.body["version"]) == (200, "Renamed", 2)
    assert reply.body["target"] == created["target"]
    assert HOOK_SECRET in ssm_parameters(aws).values()
    # And omitting the fields keeps them too
    reply = api.put("/channels/hook", {**webhook(receiver), "target": {}}, headers={"If-Match": "2"})
    assert (reply.status, reply.body["target"]["secret"]) == (200, {"secret": True, "set": True})


def test_update_with_null_removes_an_optional_secret(api, aws, receiver):
    api.post("/channels", webhook(receiver))
    reply = api.put("/channels/hook", {**webhook(receiver, target={"secret": None}), "version": 1})
    assert reply.body["target"]["secret"] == {"secret": True, "set": False}
    assert HOOK_SECRET not in ssm_parameters(aws).values()


def test_update_changing_type_drops_the_old_secrets(api, aws, receiver):
    api.post("/channels", webhook(receiver))
    reply = api.put("/channels/hook", {"name": "mail", "type": "email", "target": {"to": ["a@b.c"]}, "version": 1})
    assert reply.status == 200
    assert reply.body["target"] == {"to": ["a@b.c"]}
    assert ssm_parameters(aws) == {}


def test_update_with_a_stale_version_is_409_and_writes_nothing(api, aws, receiver):
    api.post("/channels", webhook(receiver))
    api.put("/channels/hook", {**webhook(receiver, name="v2"), "version": 1})
    reply = api.put("/channels/hook", {**webhook(receiver, target={"url": "https://new.example/x"}), "version": 1})
    assert reply.status == 409
    assert receiver.url("/hook") in ssm_parameters(aws).values()


def test_delete_channel_removes_its_parameters(api, aws, receiver):
    api.post("/channels", webhook(receiver))
    assert api.delete("/channels/hook").status == 204
    assert api.get("/channels/hook").status == 404
    assert ssm_parameters(aws) == {}


def test_delete_channel_used_by_a_rule_is_409(api, receiver):
    api.post("/channels", webhook(receiver))
    api.post("/rules", rule_data(channels=["hook"]))
    reply = api.delete("/channels/hook")
    assert reply.status == 409 and "high-cpu" in reply.body["message"]


def test_test_send_to_a_webhook_signs_and_delivers(api, receiver):
    api.post("/channels", webhook(receiver))

    reply = api.post("/channels/hook/test")

    assert reply.status == 200
    assert (reply.body["delivered"], reply.body["http_status"]) == (True, 200)
    (request,) = receiver.received("/hook")
    expected = hmac.new(HOOK_SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Signature"] == f"sha256={expected}"
    assert request.json["event"] == "firing"
    assert request.json["alert"]["rule_name"] == "Test notification for channel Ops webhook"


def test_test_send_to_teams_posts_a_card_to_the_workflow(api, receiver):
    receiver.script("/teams", Reply.accepted())
    channel = {"channel_id": "teams", "name": "#ops on Teams", "type": "teams"}
    api.post("/channels", {**channel, "target": {"webhook_url": receiver.url("/teams") + "?sig=s1g"}})

    reply = api.post("/channels/teams/test")

    assert (reply.body["delivered"], reply.body["http_status"]) == (True, 202)
    (request,) = receiver.received("/teams")
    card = request.json["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["body"][0]["items"][0]["text"] == "FIRING · Test notification for channel #ops on Teams"


def test_teams_target_outside_the_workflow_hosts_is_refused_on_update_too(api, receiver):
    api.post("/channels", {"channel_id": "t", "name": "t", "type": "teams", "target": {"webhook_url": TEAMS_WORKFLOW}})
    created = api.get("/channels/t").body

    reply = api.put("/channels/t", {**created, "target": {"webhook_url": "https://hooks.slack.com/services/T/B/x"}})

    assert (reply.status, [e["field"] for e in reply.body["errors"]]) == (400, ["target.webhook_url"])
    assert "hooks.slack.com" not in reply.text


def test_test_send_that_fails_is_a_200_with_the_reason(api, receiver):
    api.post("/channels", webhook(receiver))
    receiver.script("/hook", Reply.server_error())

    reply = api.post("/channels/hook/test")

    assert reply.status == 200
    assert reply.body["delivered"] is False and reply.body["retryable"] is True
    assert reply.body["http_status"] == 500 and "500" in reply.body["error"]
    assert receiver.url("/hook") not in reply.text


def test_test_send_to_sns_returns_the_message_id(api, aws):
    topic = aws.client("sns").create_topic(Name="ops")["TopicArn"]
    api.post("/channels", {"channel_id": "sns", "name": "t", "type": "sns", "target": {"topic_arn": topic}})
    reply = api.post("/channels/sns/test")
    assert reply.body["delivered"] is True and reply.body["provider_message_id"]


def test_test_send_with_a_missing_secret_reports_the_field(api, aws, receiver):
    api.post("/channels", webhook(receiver))
    prefix = aws.env("ApiFunction")["SECRETS_PREFIX"]
    aws.client("ssm").delete_parameter(Name=f"{prefix}/hook/url")
    reply = api.post("/channels/hook/test")
    assert reply.body["delivered"] is False and "url" in reply.body["error"]


def test_test_send_of_unknown_channel_is_404(api):
    assert api.post("/channels/nope/test").status == 404


def sms(channel_id: str, number: str) -> dict[str, Any]:
    return {"channel_id": channel_id, "name": channel_id, "type": "sms", "target": {"phone_number": number}}


def test_sms_to_a_country_outside_sms_country_codes_is_refused_naming_the_field(api, monkeypatch):
    # Given a deployment that sends SMS to Germany and the UK only
    monkeypatch.setenv("SMS_COUNTRY_CODES", "49,44")

    refused = api.post("/channels", sms("us", "+12025550123"))
    created = api.post("/channels", sms("de", "+4915112345678"))
    moved = api.put("/channels/de", {**sms("de", "+8823451234567"), "version": 1})

    assert (refused.status, created.status, moved.status) == (422, 201, 422)
    for reply in (refused, moved):
        assert [e["field"] for e in reply.body["errors"]] == ["target.phone_number"]
        assert "+49, +44" in reply.body["errors"][0]["message"]


def test_test_send_of_an_sms_channel_outside_sms_country_codes_sends_nothing(api, aws, monkeypatch):
    # Given an SMS channel saved before the deployment narrowed SMS to Germany
    assert api.post("/channels", sms("us", "+12025550123")).status == 201
    monkeypatch.setenv("SMS_COUNTRY_CODES", "49")

    reply = api.post("/channels/us/test")

    assert (reply.status, reply.body["delivered"], reply.body["retryable"]) == (200, False, False)
    assert "outside the allowed country codes" in reply.body["error"]


def test_a_channel_is_tested_at_most_five_times_an_hour(api, receiver):
    from datetime import timedelta

    from alerting.models.common import set_clock, utcnow

    # Given a webhook channel, and a clock that stands still
    api.post("/channels", webhook(receiver))
    api.post("/channels", webhook(receiver, channel_id="other", target={"url": receiver.url("/other")}))
    now = [utcnow()]
    set_clock(lambda: now[0])
    try:
        # When it is tested six times, and once more an hour after the first five
        replies = [api.post("/channels/hook/test") for _ in range(6)]
        other = api.post("/channels/other/test")
        now[0] += timedelta(hours=1)
        later = api.post("/channels/hook/test")
    finally:
        set_clock(None)

    # Then five went out; the sixth was refused with when to come back, naming the limit
    assert [r.status for r in replies] == [200] * 5 + [429]
    assert replies[5].headers["Retry-After"] == ["3600"]
    assert "at most 5 tests per channel an hour" in replies[5].body["message"]
    assert len(receiver.received("/hook")) == 6  # five, then one an hour later
    # And another channel has its own five; an hour on, the channel's are back
    assert (other.status, later.status) == (200, 200)
