"""Secret target fields never leave SSM: not in any response body, not in any log line."""

from __future__ import annotations

import logging

import pytest

from alerting_local.receiver import Receiver, Reply

SLACK_TOKEN = "T0000/B0000/slackTOKENxyz"
HOOK_TOKEN = "hookTOKENabc"
HMAC_KEY = "hmacKEY-0123456789"


@pytest.mark.parametrize("level", [logging.INFO, logging.DEBUG], ids=["info", "debug"])
def test_secrets_appear_in_no_response_and_no_log(api, api_log, capsys, caplog, level):
    # Given every logger at `level`, botocore's wire logging included
    caplog.set_level(level)
    replies = []
    with Receiver() as receiver:
        slack_url = receiver.url(f"/services/{SLACK_TOKEN}")
        hook_url = receiver.url(f"/hook/{HOOK_TOKEN}")
        receiver.script(f"/hook/{HOOK_TOKEN}", Reply.ok(), Reply.server_error(), Reply.bad_request())

        def call(method: str, path: str, body: object = None) -> None:
            replies.append(api.request(method, path, body))

        # Every channel operation, successful or not, with the secrets in play
        call(
            "POST",
            "/channels",
            {"channel_id": "slack", "name": "s", "type": "slack", "target": {"webhook_url": slack_url}},
        )
        call(
            "POST",
            "/channels",
            {
                "channel_id": "hook",
                "name": "h",
                "type": "webhook",
                "target": {"url": hook_url, "secret": HMAC_KEY},
            },
        )
        call(
            "POST",
            "/channels",
            {
                "name": "bad",
                "type": "webhook",
                "target": {"url": f"ftp://x/{HOOK_TOKEN}", "secret": HMAC_KEY},
            },
        )
        call(
            "POST",
            "/channels",
            {"name": "bad", "type": "webhook", "target": {"url": hook_url, "secret": "x"}},
        )
        call(
            "POST",
            "/channels",
            {"name": "bad", "type": "slack", "target": {"webhook_url": slack_url, "x": 1}},
        )
        call("GET", "/channels")
        call("GET", "/channels/slack")
        call("GET", "/channels/hook")
        call("POST", "/channels/slack/test")
        for _ in range(3):  # delivered, 500, 400
            call("POST", "/channels/hook/test")
        call("PUT", "/channels/hook", {"name": "h2", "type": "webhook", "target": {}, "version": 1})
        call(
            "PUT",
            "/channels/hook",
            {"name": "h3", "type": "webhook", "target": {"url": hook_url}, "version": 1},
        )
        call(
            "PUT",
            "/channels/hook",
            {"name": "h3", "type": "webhook", "target": {"url": hook_url, "secret": HMAC_KEY}, "version": 2},
        )
        call("DELETE", "/channels/slack")
        call("DELETE", "/channels/hook")

    assert [r.status for r in replies] == [
        201,
        201,
        400,
        422,
        422,
        200,
        200,
        200,
        200,
        200,
        200,
        200,
        200,
        409,
        200,
        204,
        204,
    ]
    assert [r.body["delivered"] for r in replies[8:12]] == [True, True, False, False]
    outputs = [r.text for r in replies] + [str(api_log()), capsys.readouterr().out, caplog.text]
    for secret in (SLACK_TOKEN, HOOK_TOKEN, HMAC_KEY):
        assert not [text for text in outputs if secret in text], secret
