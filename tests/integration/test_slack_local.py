"""End to end on the local stack, as `make serve` serves it: a Slack channel with its app's signing
secret is sent an alert with buttons (the Slack stand-in receives it); a click on one, posted over
HTTP to the web front exactly as Slack posts it (form-encoded payload, v0 signature), acts as the
Slack user and replaces the message through the click's response_url. A click signed with another
secret is a 401 and changes nothing. Every call the notifier and the ingest API made is within
their IAM roles."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from alerting_local.demo_slack import ACTOR, CHANNEL, HOOK_PATH, SIGNING_SECRET, button_names, click
from alerting_local.serve import Runtime, web_front
from alerting_local.stack import LocalStack
from tests.infrastructure.test_iam import role_actions

RESPONSE_PATH = "/actions/T000/2000/rEsPoNsE"


@pytest.fixture(scope="module")
def front() -> Iterator[tuple[LocalStack, str]]:
    with LocalStack(overrides={"LogLevel": "ERROR"}) as local, web_front(Runtime(local), quiet=True) as url:
        yield local, url


def page_the_slack_channel(local: LocalStack, url: str) -> tuple[str, dict[str, Any]]:
    """An Events API alert routed to the Slack channel, delivered; its id and the message Slack got."""
    target = {"webhook_url": local.receiver.url(HOOK_PATH), "signing_secret": SIGNING_SECRET}
    channel = {"channel_id": CHANNEL, "name": "#storage", "type": "slack", "target": target}
    route = {"route_id": "storage", "name": "Storage", "receiver": {"channels": [CHANNEL]}}
    route["matchers"] = [{"label": "team", "value": "storage"}]
    for path, body in (("channels", channel), ("routes", route)):
        assert requests.post(f"{url}{path}", json=body, timeout=10).status_code == 201
    integration = {"name": "Storage monitor", "type": "events", "labels": {"team": "storage"}}
    key = requests.post(f"{url}integrations", json=integration, timeout=10).json()["key"]
    payload = {"summary": "Disk 95 % full on db-2", "source": "db-2", "severity": "critical"}
    event = {"routing_key": key, "event_action": "trigger", "dedup_key": "db-2/disk", "payload": payload}
    assert requests.post(f"{url}v2/enqueue", json=event, timeout=10).status_code == 202
    local.pump()
    (alert,) = requests.get(f"{url}alerts", params={"source": "events"}, timeout=10).json()["items"]
    (message,) = [r.json for r in local.receiver.received(HOOK_PATH)]
    return str(alert["alert_id"]), message


def test_a_signed_click_on_a_slack_messages_button_acknowledges_as_the_slack_user(
    front: tuple[LocalStack, str],
) -> None:
    local, url = front
    alert_id, message = page_the_slack_channel(local, url)
    assert button_names(message) == ["Acknowledge", "Resolve", "Silence 1 h"]

    forged = click(url, message, "acknowledge", local.receiver.url(RESPONSE_PATH), secret="not-the-apps-secret-at-all")
    firing = requests.get(f"{url}alerts/{alert_id}", timeout=10).json()
    clicked = click(url, message, "acknowledge", local.receiver.url(RESPONSE_PATH))
    again = click(url, message, "acknowledge", local.receiver.url(RESPONSE_PATH))  # the old message's button

    assert (forged[0], firing["status"]) == (401, "firing")
    assert clicked == (200, "") and again == (200, "")
    alert = requests.get(f"{url}alerts/{alert_id}", timeout=10).json()
    history = requests.get(f"{url}alerts/{alert_id}/history", timeout=10).json()["items"]
    assert (alert["status"], alert["acknowledged_by"]) == ("acknowledged", ACTOR)
    assert (history[-1]["event"], history[-1]["actor"]) == ("acknowledged", ACTOR)
    replaced, told = [r.json for r in local.receiver.received(RESPONSE_PATH)]
    assert replaced["replace_original"] is True and button_names(replaced) == ["Resolve", "Silence 1 h"]
    assert told["response_type"] == "ephemeral" and "already acknowledged by " + ACTOR in told["text"]
    assert local.calls.actions["NotifierFunction"] <= role_actions("NotifierFunction")
    assert local.calls.actions["IngestApiFunction"] <= role_actions("IngestApiFunction")
    assert "ssm:GetParameter" in local.calls.actions["IngestApiFunction"]
