"""`make demo`'s acknowledgement from a Slack button: a storage monitor (the Events API) pages
#storage on Slack through a route; that channel has its Slack app's signing secret, so the
message the local Slack stand-in receives carries Acknowledge, Resolve and "Silence 1 h". A
click on Acknowledge comes back as Slack sends it: a form-encoded `payload`, signed with the
signing secret (`X-Slack-Signature`), to the web front's `POST /slack/interactions`. The alert is
acknowledged as the Slack user, which its history and the audit log name, and the message is
replaced through the click's response_url (the stand-in again). The monitor's resolve ends it.

`click` is also what the end-to-end test signs its clicks with.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from alerting.channels.slack_actions import sign_request
from alerting.models.common import epoch, set_clock, utcnow
from alerting_local.stack import LocalStack
from alerting_local.told import acknowledged_by

CHANNEL = "storage-slack"
SIGNING_SECRET = "d3m0-s1gn1ng-s3cr3t-0f-th3-sl4ck-4pp"  # the demo Slack app's (Basic Information)
HOOK_PATH = "/services/T000/B000/storage"  # the channel's webhook, on the Slack stand-in
RESPONSE_PATH = "/actions/T000/1000/dEm0rEsP0nSe"  # a click's response_url, on the stand-in too
USER = {"id": "U0DEMO42", "username": "dana", "name": "dana", "team_id": "T000"}
ACTOR = "slack:U0DEMO42 (dana)"


def acknowledge_from_slack(local: LocalStack, at: datetime) -> bool:
    """The step; True when the button acknowledged the alert as the Slack user, the message was
    replaced once, the audit log names the user, and the alert then resolved."""
    from alerting_local.serve import Runtime, web_front  # once the stack set the functions' environment

    key = _storage_pages_slack(local)
    event = {"routing_key": key, "dedup_key": "storage/disk"}
    trigger = {"summary": "Disk 95 % full on db-2", "source": "db-2.example.com", "severity": "critical"}
    print(
        "\nAcknowledge from Slack: #storage on Slack has its Slack app's signing secret, so its messages have buttons"
    )
    with web_front(Runtime(local), quiet=True) as url:
        set_clock(lambda: at + timedelta(seconds=210))
        _post(f"{url}v2/enqueue", json.dumps(event | {"event_action": "trigger", "payload": trigger}))
        local.pump()
        (message,) = [r.json for r in local.receiver.received(HOOK_PATH)]
        print(f"  #storage got {message['text']!r} with the buttons {', '.join(button_names(message))}")
        set_clock(lambda: at + timedelta(seconds=240))
        status, _ = click(url, message, "acknowledge", local.receiver.url(RESPONSE_PATH))
        print(f"  a click on Acknowledge: POST /slack/interactions, signed as Slack signs -> {status}")
        (replaced,) = [r.json for r in local.receiver.received(RESPONSE_PATH)]
        line = next(b["text"]["text"] for b in _blocks(replaced) if "Acknowledged by" in json.dumps(b))
        left = ", ".join(button_names(replaced))
        print(f"  the message, replaced through its response_url: {line.strip('*')} (buttons left: {left})")
        set_clock(lambda: at + timedelta(seconds=300))
        _post(f"{url}v2/enqueue", json.dumps(event | {"event_action": "resolve"}))
        local.pump()
    return _told(local) and replaced.get("replace_original") is True


def _storage_pages_slack(local: LocalStack) -> str:
    """The channel (with its signing secret), its route, and the monitor's integration; its key."""
    target = {"webhook_url": local.receiver.url(HOOK_PATH), "signing_secret": SIGNING_SECRET}
    local.api(
        "POST",
        "/channels",
        body={"channel_id": CHANNEL, "name": "#storage on Slack", "type": "slack", "target": target},
    )
    route = {"route_id": "storage", "name": "Storage", "receiver": {"channels": [CHANNEL]}}
    local.api("POST", "/routes", body=route | {"matchers": [{"label": "team", "value": "storage"}]})
    _, made = local.api(
        "POST", "/integrations", body={"name": "Storage", "type": "events", "labels": {"team": "storage"}}
    )
    return str(made["key"])


def click(
    url: str, message: dict[str, Any], action_id: str, response_url: str, secret: str = SIGNING_SECRET
) -> tuple[int, str]:
    """A click on ``message``'s button ``action_id``, posted to the front at ``url`` as Slack posts
    it: the block_actions payload, form-encoded, signed with ``secret`` at the current time."""
    (button,) = [e for e in _elements(message) if e.get("action_id") == action_id]
    payload = {
        "type": "block_actions",
        "user": USER,
        "api_app_id": "A000",
        "team": {"id": "T000", "domain": "demo"},
        "channel": {"id": "C000", "name": "storage"},
        "container": {"type": "message", "message_ts": f"{time.time():.6f}", "channel_id": "C000"},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b",
                "value": button["value"],
                "action_ts": f"{time.time():.6f}",
            }
        ],
        "response_url": response_url,
        "trigger_id": "1.2.3",
    }
    body = urlencode({"payload": json.dumps(payload)})
    timestamp = str(epoch(utcnow()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign_request(secret, timestamp, body.encode()),
    }
    return _post(f"{url}slack/interactions", body, headers)


def button_names(message: dict[str, Any]) -> list[str]:
    return [e["text"]["text"] for e in _elements(message)]


def _elements(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in _blocks(message) if b["type"] == "actions" for e in b["elements"]]


def _blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = message["attachments"][0]["blocks"]
    return blocks


def _post(url: str, body: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, body.encode(), headers or {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def _told(local: LocalStack) -> bool:
    _, page = local.api("GET", "/alerts", query={"source": "events", "limit": "50"})
    alert = next(a for a in page["items"] if a["rule_name"] == "Disk 95 % full on db-2")
    return acknowledged_by(local, alert, ACTOR)
