"""End to end on the local stack, as `make serve` serves it: an alert routed to an e-mail channel
is mailed (moto's SES, read back through the local inbox), and the link in that e-mail, opened
and confirmed over HTTP on the web front, acknowledges the alert as the channel. Every call the
notifier and the ingest API made is within their IAM roles."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from alerting_local.serve import Runtime, web_front
from alerting_local.stack import LocalStack
from tests.infrastructure.test_iam import role_actions

ACTOR = "channel:ops-email (Ops e-mail)"


@pytest.fixture(scope="module")
def front() -> Iterator[tuple[LocalStack, str]]:
    with LocalStack(overrides={"LogLevel": "ERROR"}) as local, web_front(Runtime(local), quiet=True) as url:
        yield local, url


def page_the_email_channel(local: LocalStack, url: str) -> str:
    """An Events API alert routed to the e-mail channel, delivered; returns the alert's id."""
    channel = {"channel_id": "ops-email", "name": "Ops e-mail", "type": "email", "target": {"to": ["o@example.com"]}}
    route = {"route_id": "web", "name": "Web", "receiver": {"channels": ["ops-email"]}}
    route["matchers"] = [{"label": "team", "value": "web"}]
    for path, body in (("channels", channel), ("routes", route)):
        assert requests.post(f"{url}{path}", json=body, timeout=10).status_code == 201
    integration = {"name": "Checkout monitor", "type": "events", "labels": {"team": "web"}}
    key = requests.post(f"{url}integrations", json=integration, timeout=10).json()["key"]
    payload = {"summary": "Checkout p99 over 2 s", "source": "checkout", "severity": "error"}
    event = {"routing_key": key, "event_action": "trigger", "dedup_key": "checkout", "payload": payload}
    assert requests.post(f"{url}v2/enqueue", json=event, timeout=10).status_code == 202
    local.pump()
    (alert,) = requests.get(f"{url}alerts", params={"source": "events"}, timeout=10).json()["items"]
    return str(alert["alert_id"])


def test_the_link_of_an_email_in_the_local_inbox_acknowledges_its_alert_as_the_channel(
    front: tuple[LocalStack, str],
) -> None:
    local, url = front
    alert_id = page_the_email_channel(local, url)
    (mail,) = requests.get(f"{url}local/inbox", params={"channel": "email"}, timeout=10).json()["items"]
    (link,) = [found for found in mail["links"] if "/ack?" in found]

    shown = requests.get(link, timeout=10)  # a person's click, a scanner's or a preview's: no change
    firing = requests.get(f"{url}alerts/{alert_id}", timeout=10).json()
    action = re.search(r'<form method="post" action="([^"]+)">', shown.text).group(1)
    token = html.unescape(re.search(r'name="t" value="([^"]+)"', shown.text).group(1))
    origin = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"  # what a browser's form post says
    posted = requests.post(urljoin(link, action), data={"t": token}, headers={"Origin": origin}, timeout=10)

    assert link.startswith(f"{url}ingest/ack?t=") and parse_qs(urlsplit(link).query)["t"] == [token]
    assert (shown.status_code, firing["status"]) == (200, "firing")
    assert posted.status_code == 200 and "<h1>Acknowledged</h1>" in posted.text
    alert = requests.get(f"{url}alerts/{alert_id}", timeout=10).json()
    history = requests.get(f"{url}alerts/{alert_id}/history", timeout=10).json()["items"]
    assert (alert["status"], alert["acknowledged_by"]) == ("acknowledged", ACTOR)
    assert (history[-1]["event"], history[-1]["actor"]) == ("acknowledged", ACTOR)
    assert local.calls.actions["NotifierFunction"] <= role_actions("NotifierFunction")
    assert local.calls.actions["IngestApiFunction"] <= role_actions("IngestApiFunction")
    assert "secretsmanager:GetSecretValue" in local.calls.actions["IngestApiFunction"]
