"""`make demo`'s acknowledgement from an e-mail link: a checkout monitor (the Events API) pages the
on-call e-mail through a route; the e-mail, read back from the local inbox, carries an
acknowledge link to the web front. Following it shows the confirm page and changes nothing;
its form acknowledges the alert as the channel the e-mail was sent to, which the alert's
history and the audit log name. The monitor's resolve then ends the alert.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from typing import Any

from alerting.models.common import set_clock
from alerting_local.stack import LocalStack
from alerting_local.told import acknowledged_by

CHANNEL = "oncall-email"  # the demo's e-mail channel ("On-call e-mail")
ACTOR = "channel:oncall-email (On-call e-mail)"


def acknowledge_from_an_email(local: LocalStack, at: datetime) -> bool:
    """The step; True when the link acknowledged the alert as the channel, and it then resolved."""
    from alerting_local.serve import Runtime, web_front  # once the stack set the functions' environment

    route = {"route_id": "checkout", "name": "Checkout", "receiver": {"channels": [CHANNEL]}}
    local.api("POST", "/routes", body=route | {"matchers": [{"label": "team", "value": "checkout"}]})
    integration = {"name": "Checkout", "type": "events", "labels": {"team": "checkout"}}
    _, made = local.api("POST", "/integrations", body=integration)
    event = {"routing_key": made["key"], "dedup_key": "checkout/errors"}
    trigger = {"summary": "Checkout errors over 5 %", "source": "checkout.example.com", "severity": "critical"}
    print("\nAcknowledge from an e-mail: a checkout alert is mailed to On-call e-mail, with a link")
    with web_front(Runtime(local), quiet=True) as url:
        set_clock(lambda: at + timedelta(seconds=90))
        _send(f"{url}v2/enqueue", event | {"event_action": "trigger", "payload": trigger})
        local.pump()
        link = _ack_link(local)
        print(f"  the e-mail, in the local inbox, links to {link}")
        shown = _send(link)
        print(f"  GET  the e-mail's link -> {shown[0]} {shown[1]!r} (the alert is still {_status(local)})")
        token = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["t"][0]
        posted = _send(urllib.parse.urljoin(link, "ack"), form={"t": token}, origin=url.rstrip("/"))
        print(f"  POST its confirm page's form -> {posted[0]} {posted[1]!r}")
        set_clock(lambda: at + timedelta(seconds=150))
        _send(f"{url}v2/enqueue", event | {"event_action": "resolve"})
        local.pump()
    return acknowledged_by(local, _checkout(local), ACTOR)


def _ack_link(local: LocalStack) -> str:
    """The acknowledge link of the newest e-mail the channel received, as the local inbox lists it."""
    mail = next(e for e in local.inbox.entries("email") if e["channel_id"] == CHANNEL)
    return str(next(link for link in mail["links"] if "/ack?t=" in link))


def _send(url: str, body: Any = None, *, form: dict[str, str] | None = None, origin: str = "") -> tuple[int, str]:
    """(status, the page's title or the answer's message) of a GET, a JSON POST or a form POST."""
    data, headers = None, {"Origin": origin} if origin else {}
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=10) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as refused:
        status, text = refused.code, refused.read().decode()
    title = re.search(r"<h1>(.*?)</h1>", text)
    return status, title.group(1) if title else text[:80]


def _status(local: LocalStack) -> str:
    return str(_checkout(local)["status"])


def _checkout(local: LocalStack) -> dict[str, Any]:
    _, page = local.api("GET", "/alerts", query={"source": "events", "limit": "50"})
    return next(a for a in page["items"] if a["rule_name"] == "Checkout errors over 5 %")
