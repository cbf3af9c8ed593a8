"""`POST /slack/interactions` through IngestApiFunction's real handler, on the template's tables in
moto, with a real HTTP server on 127.0.0.1 as the clicks' response_url: Acknowledge, Resolve and
"Silence 1 h" act as the Slack user and replace the message once; a group's buttons act on every
alert; what cannot be done is told to the user alone (200); and a request that does not verify
(signature, age, replay) is a 401 that changes and sends nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from alerting import wiring
from alerting.channels.render import when
from alerting.channels.slack_actions import ButtonKey, Target, button_value, sign_request
from alerting.models.alerts import Alert
from alerting.models.common import AlertStatus, epoch, utcnow
from alerting.repositories.audit import AuditFilter
from alerting.settings import IngestApiSettings
from alerting_local.apigw import proxy_event
from alerting_local.lambda_runtime import LambdaContext
from alerting_local.receiver import Receiver
from ingest import api
from ingest.dependencies import Services, build
from tests.factories import make_rule
from tests.integration.api import conftest as api_fixtures
from tests.integration.api.client import ApiClient
from tests.integration.api.conftest import Store

store = api_fixtures.store  # the stack's tables, for Given and Then

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # Slack's documented sample signing secret
KEY = ButtonKey("ops-slack", SECRET)
RESPONSE_PATH = "/actions/T0001/1234/rEsPoNsE"
ACTOR = "slack:U0123ABC (alice)"

Click = Callable[..., tuple[int, Any]]


@pytest.fixture
def settings(ingest_settings: IngestApiSettings) -> IngestApiSettings:
    return ingest_settings


@pytest.fixture
def services(settings: IngestApiSettings) -> Services:
    return build(settings)


@pytest.fixture
def slack() -> Iterator[Receiver]:
    """Slack's side: the webhook the channel posts to, and the clicks' response_url."""
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def channel(api: ApiClient, slack: Receiver) -> str:
    target = {"webhook_url": slack.url("/services/T0001/B0001/ops"), "signing_secret": SECRET}
    created = api.post("/channels", {"channel_id": "ops-slack", "name": "#ops", "type": "slack", "target": target})
    assert created.status == 201, created.body
    return "ops-slack"


def interaction(value: str, action_id: str, response_url: str) -> dict[str, Any]:
    """A block_actions payload as Slack sends one for a click of a message's button."""
    return {
        "type": "block_actions",
        "user": {"id": "U0123ABC", "username": "alice", "name": "alice", "team_id": "T0001"},
        "api_app_id": "A0001",
        "team": {"id": "T0001", "domain": "example"},
        "channel": {"id": "C0001", "name": "ops"},
        "container": {"type": "message", "message_ts": "1795708800.000100", "channel_id": "C0001"},
        "actions": [
            {"type": "button", "action_id": action_id, "block_id": "b1", "value": value, "action_ts": f"{time.time()}"}
        ],
        "response_url": response_url,
        "trigger_id": "1.2.3",
    }


def signed(body: str, *, secret: str = SECRET, late: int = 0) -> dict[str, str]:
    """The headers Slack adds: its timestamp (``late`` seconds ago), and the v0 signature of the body sent at it."""
    timestamp = str(epoch(utcnow()) - late)
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign_request(secret, timestamp, body.encode()),
    }


def send(services: Services, body: str, headers: dict[str, str]) -> tuple[int, Any]:
    response = api.handler(
        proxy_event("POST", "/slack/interactions", body=body, headers=headers), LambdaContext("x"), services=services
    )
    text = response["body"] or ""
    return response["statusCode"], json.loads(text) if text.startswith("{") else text


@pytest.fixture
def click(services: Services, slack: Receiver, channel: str) -> Click:
    """Clicks ``action_id`` on a message whose buttons act on ``alerts``, signed as Slack signs."""

    def clicked(action_id: str, *alerts: Alert, group: str | None = None, **signing: Any) -> tuple[int, Any]:
        value = button_value(KEY, Target(channel, tuple(a.alert_id for a in alerts), group)) or ""
        payload = interaction(value, action_id, slack.url(RESPONSE_PATH))
        body = urlencode({"payload": json.dumps(payload)})
        return send(services, body, signed(body, **signing))

    return clicked


def audited(settings: IngestApiSettings, resource: str) -> list[tuple[str, str, dict[str, Any]]]:
    """The audit log's entries of ``resource``: who did what, as the API's own are kept."""
    entries = wiring.audit(settings).page(AuditFilter(resource=resource), 10, None, utcnow()).items
    assert {e.note for e in entries} <= {"from a Slack button"}
    return [(e.actor, e.action, e.change) for e in entries]


def responses(slack: Receiver) -> list[dict[str, Any]]:
    return [r.json for r in slack.received(RESPONSE_PATH)]


def blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = message["attachments"][0]["blocks"]
    return found


def action_ids(message: dict[str, Any]) -> list[str]:
    actions = [b for b in blocks(message) if b["type"] == "actions"]
    return [e["action_id"] for e in actions[0]["elements"]] if actions else []


def texts(message: dict[str, Any]) -> str:
    return json.dumps(blocks(message))


def test_acknowledge_acts_as_the_slack_user_and_replaces_the_message_without_its_button(
    click: Click, store: Store, slack: Receiver, settings: IngestApiSettings
) -> None:
    alert = store.fire()

    started = time.perf_counter()
    assert click("acknowledge", alert) == (200, "")
    elapsed = time.perf_counter() - started

    now = store.alerts.get(alert.alert_id)
    assert (now.status, now.acknowledged_by) == (AlertStatus.acknowledged, ACTOR)
    assert [t.actor for t in store.alerts.history(alert.alert_id)][-1] == ACTOR
    assert audited(settings, f"alert/{alert.alert_id}") == [(ACTOR, "ack", {"status": "acknowledged"})]
    (message,) = responses(slack)
    assert message["replace_original"] is True
    assert f"Acknowledged by {ACTOR} at" in texts(message)
    assert action_ids(message) == ["resolve", "silence_1h"]
    assert elapsed < 3.0  # Slack's deadline, on moto and a real HTTP round trip


def test_resolve_ends_the_alert_by_hand_and_leaves_no_action(click: Click, store: Store, slack: Receiver) -> None:
    alert = store.fire()

    assert click("resolve", alert) == (200, "")

    now = store.alerts.get(alert.alert_id)
    assert (now.status, now.resolved_by, now.resolution) == (AlertStatus.resolved, ACTOR, "manual")
    (message,) = responses(slack)
    assert f"Resolved by {ACTOR} (manual)" in texts(message)
    assert action_ids(message) == []


def test_silence_for_an_hour_silences_the_alerts_identity_and_drops_its_button(
    click: Click, store: Store, slack: Receiver, api: ApiClient, settings: IngestApiSettings
) -> None:
    alert = store.fire()

    assert click("silence_1h", alert) == (200, "")

    (silence,) = api.get("/silences").body["items"]
    matchers = [{"label": "rule_id", "op": "=", "value": alert.rule_id}] + [
        {"label": k, "op": "=", "value": v} for k, v in sorted(alert.series.items())
    ]
    assert (silence["matchers"], silence["created_by"]) == (matchers, ACTOR)
    assert [(actor, action) for actor, action, _ in audited(settings, "silence")] == [(ACTOR, "create")]
    lasts = datetime.fromisoformat(silence["ends_at"]) - datetime.fromisoformat(silence["starts_at"])
    assert timedelta(minutes=59) < lasts <= timedelta(hours=1)
    assert store.alerts.get(alert.alert_id).status is AlertStatus.firing  # silenced, not changed
    (message,) = responses(slack)
    assert f"Silenced for 1 h by {ACTOR}, until" in texts(message)
    assert action_ids(message) == ["acknowledge", "resolve"]


def test_a_groups_button_acts_on_every_alert_of_the_message(click: Click, store: Store, slack: Receiver) -> None:
    alerts = [store.fire(make_rule(rule_id=f"cpu-{i}", name=f"CPU {i}")) for i in range(3)]

    assert click("acknowledge", *alerts, group="ops-slack:k:1795708800") == (200, "")

    assert {store.alerts.get(a.alert_id).acknowledged_by for a in alerts} == {ACTOR}
    (message,) = responses(slack)
    assert f"Acknowledged 3 alerts by {ACTOR} at" in texts(message)
    assert "group `ops-slack:k:1795708800`" in texts(message)
    assert action_ids(message) == ["resolve", "silence_1h"]


def test_an_action_on_a_resolved_alert_is_told_to_the_user_alone_and_changes_nothing(
    click: Click, store: Store, slack: Receiver, api: ApiClient
) -> None:
    alert = store.fire()
    api.post(f"/alerts/{alert.alert_id}/resolve", {"by": "bob"})
    before = store.alerts.get(alert.alert_id)

    assert click("acknowledge", alert) == (200, "")
    assert click("silence_1h", alert) == (200, "")

    assert store.alerts.get(alert.alert_id) == before
    assert api.get("/silences").body["items"] == []
    first, second = responses(slack)
    assert first == {
        "response_type": "ephemeral",
        "replace_original": False,
        "text": f"{alert.rule_name} was already resolved by {before.resolved_by} at {when(before.resolved_at)}.",
    }
    assert second["text"] == first["text"]


def test_an_unknown_action_is_told_to_the_user_and_a_link_click_is_simply_taken(
    click: Click, store: Store, slack: Receiver
) -> None:
    alert = store.fire()

    assert click("delete_everything", alert) == (200, "")
    assert click("open_alert", alert) == (200, "")

    assert store.alerts.get(alert.alert_id).status is AlertStatus.firing
    (message,) = responses(slack)
    assert (message["response_type"], message["text"]) == (
        "ephemeral",
        "Unknown action 'delete_everything': nothing was done.",
    )


@pytest.mark.parametrize(
    "signing",
    [
        {"secret": "another-apps-signing-secret"},
        {"late": 301},
        {"late": -301},
    ],
    ids=["wrong secret", "over five minutes old", "over five minutes ahead"],
)
def test_a_request_slack_did_not_sign_now_is_a_401_that_changes_and_sends_nothing(
    click: Click, store: Store, slack: Receiver, signing: dict[str, Any]
) -> None:
    alert = store.fire()

    status, body = click("acknowledge", alert, **signing)

    assert status == 401
    assert (body["ok"], body["error"]) == (False, "invalid_request_signature")
    assert store.alerts.get(alert.alert_id).status is AlertStatus.firing
    assert responses(slack) == []


def test_headers_missing_or_a_body_that_names_no_channel_of_ours_are_401(
    services: Services, store: Store, slack: Receiver, channel: str
) -> None:
    alert = store.fire()
    value = button_value(KEY, Target(channel, (alert.alert_id,))) or ""
    body = urlencode({"payload": json.dumps(interaction(value, "acknowledge", slack.url(RESPONSE_PATH)))})
    headers = signed(body)
    stranger = button_value(ButtonKey("nobody", SECRET), Target("nobody", (alert.alert_id,))) or ""
    strangers = urlencode({"payload": json.dumps(interaction(stranger, "acknowledge", slack.url(RESPONSE_PATH)))})

    refused = [
        send(services, body, {k: v for k, v in headers.items() if k != "X-Slack-Signature"}),
        send(services, body, {k: v for k, v in headers.items() if k != "X-Slack-Request-Timestamp"}),
        send(services, "payload=%7B%7D", signed("payload=%7B%7D")),
        send(services, strangers, signed(strangers)),
    ]

    assert [status for status, _ in refused] == [401] * 4
    assert store.alerts.get(alert.alert_id).status is AlertStatus.firing
    assert responses(slack) == []


def test_a_replayed_request_is_refused_and_nothing_is_done_or_sent_twice(
    services: Services, store: Store, slack: Receiver, channel: str, api: ApiClient
) -> None:
    alert = store.fire()
    value = button_value(KEY, Target(channel, (alert.alert_id,))) or ""
    body = urlencode({"payload": json.dumps(interaction(value, "silence_1h", slack.url(RESPONSE_PATH)))})
    headers = signed(body)

    assert send(services, body, headers) == (200, "")
    status, refused = send(services, body, headers)

    assert (status, refused["response_metadata"]["messages"]) == (401, ["the request was sent before: a replay"])
    assert len(api.get("/silences").body["items"]) == 1
    assert len(responses(slack)) == 1


def test_a_response_url_that_is_not_slacks_is_never_called(
    services: Services, store: Store, slack: Receiver, channel: str
) -> None:
    alert = store.fire()
    value = button_value(KEY, Target(channel, (alert.alert_id,))) or ""
    body = urlencode({"payload": json.dumps(interaction(value, "acknowledge", "http://169.254.169.254/latest/"))})

    assert send(services, body, signed(body)) == (200, "")

    assert store.alerts.get(alert.alert_id).status is AlertStatus.acknowledged  # the click counted
    assert slack.received() == []


def test_without_its_signing_secret_a_channels_clicks_no_longer_verify(
    api: ApiClient, click: Click, store: Store, slack: Receiver, channel: str
) -> None:
    alert = store.fire()
    shown = api.get(f"/channels/{channel}").body
    assert shown["target"]["signing_secret"] == {"secret": True, "set": True}  # never the value

    removed = api.put(f"/channels/{channel}", shown | {"target": shown["target"] | {"signing_secret": None}})

    assert removed.body["target"]["signing_secret"] == {"secret": True, "set": False}
    assert click("acknowledge", alert)[0] == 401
    assert store.alerts.get(alert.alert_id).status is AlertStatus.firing
