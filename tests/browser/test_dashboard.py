"""The dashboard in headless Chromium on the local stack: an alert appears live after a tick,
without a reload; Acknowledge changes it; the charts are drawn; a replayed stream changes
nothing. Saves a screenshot (``DASHBOARD_SCREENSHOT`` names where: ``make screenshot`` writes
the README's ``docs/dashboard.png``)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerting.models.common import floor_minute
from alerting.stream import parse_record
from alerting_local.lambda_runtime import LambdaContext
from alerting_local.stack import LocalStack

NOW = floor_minute(datetime.now(UTC))
SERVICE = {"Service": "checkout"}
RULES = [
    {
        "rule_id": "checkout-latency",
        "name": "Checkout latency",
        "severity": "critical",
        "warning_severity": "medium",
        "category": "performance",
        "conditions": [
            {
                "metric": {"namespace": "Shop", "name": "LatencyMs", "dimensions": SERVICE, "statistic": "Maximum"},
                "operator": "gt",
                "threshold": 800,
                "warning_threshold": 500,
            }
        ],
        "window_seconds": 60,
        "labels": {"team": "payments"},
    },
    {
        "rule_id": "queue-backlog",
        "name": "Order queue backlog",
        "severity": "high",
        "category": "capacity",
        "conditions": [
            {
                "metric": {"namespace": "Shop", "name": "QueueDepth", "dimensions": SERVICE, "statistic": "Maximum"},
                "operator": "gt",
                "threshold": 1000,
            }
        ],
        "window_seconds": 60,
        "labels": {"team": "orders"},
    },
    {
        "rule_id": "payment-errors",
        "name": "Payment errors",
        "severity": "high",
        "category": "errors",
        "conditions": [
            {
                "metric": {"namespace": "Shop", "name": "Errors", "dimensions": SERVICE, "statistic": "Sum"},
                "operator": "gte",
                "threshold": 5,
            }
        ],
        "window_seconds": 60,
        "labels": {"team": "payments"},
    },
]


def latency(minute: int) -> float:
    """Calm, then a climb in the last minutes that stays under the warning line (500) until now."""
    return 240 + 15 * (minute % 5) if minute < -6 else 240 + 40 * (minute + 7)


def backlog(minute: int) -> float:
    return 1500 if -50 <= minute <= -38 or -22 <= minute <= -18 else 300


def errors(minute: int) -> float:
    return 9 if -30 <= minute <= -26 else 1


def record_history(local: LocalStack) -> None:
    """An hour before the page opens: alerts that fired and resolved, one acknowledged."""
    for rule in RULES:
        status, body = local.api("POST", "/rules", body=rule)
        assert status == 201, body
    for minute in range(-60, 0):
        at = NOW + timedelta(minutes=minute)
        for name, value in (
            ("LatencyMs", latency(minute)),
            ("QueueDepth", backlog(minute)),
            ("Errors", errors(minute)),
        ):
            local.put_metric(name, value, at - timedelta(seconds=30), dimensions=SERVICE, namespace="Shop")
        local.tick(at)
        if minute == -27:
            open_errors = local.api("GET", "/alerts", query={"rule_id": "payment-errors", "status": "firing"})[1]
            local.api("POST", f"/alerts/{open_errors['items'][0]['alert_id']}/ack", body={"by": "dana"})
    local.pump()


def stats(page: Any) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate("window.alerting.stats")
    return result


@pytest.fixture(scope="module")
def history(served: tuple[LocalStack, str]) -> tuple[LocalStack, str]:
    record_history(served[0])
    return served


def test_dashboard_shows_an_alert_live_acknowledges_it_and_draws_the_charts(history, browser, tmp_path: Path):
    local, url = history
    page = browser.new_page(viewport={"width": 1360, "height": 1000})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("#live-status[data-state=live]")
    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    assert page.locator("#alerts tbody tr", has_text="Checkout latency").count() == 0

    # When the latency crosses its threshold and the evaluator ticks
    # (inside the window the tick reads: the minute that ended a minute ago, the default delay)
    local.put_metric("LatencyMs", 950, NOW - timedelta(seconds=80), dimensions=SERVICE, namespace="Shop")
    local.tick(NOW)
    local.pump_live()

    # Then the alert appears without a reload, as critical and firing
    row = page.locator("#alerts tbody tr", has_text="Checkout latency")
    row.wait_for()
    assert stats(page)["received"] >= 1
    assert page.evaluate("window.sameDocument") is True
    assert row.get_attribute("data-status") == "firing"
    assert "critical" in row.inner_text()
    assert stats(page)["applied"] >= 1

    # And its detail draws the metric around the breach with its threshold lines
    row.click()
    page.wait_for_selector("#metric-chart svg[data-points]")
    assert int(page.get_attribute("#metric-chart svg", "data-points") or 0) >= 30
    assert page.locator("#metric-chart svg line.threshold").count() == 1
    assert page.locator("#metric-chart svg line.warning").count() == 1
    page.wait_for_selector("#history li")

    # When they acknowledge it with a note
    page.fill("#actions input[name=note]", "rolling back the 14:02 deploy")
    page.click('[data-action="ack"]')

    # Then the state changes in the list and the detail, and the history shows the note
    page.wait_for_selector('#alerts tbody tr[data-status="acknowledged"]')
    page.wait_for_selector("#history li:has-text('rolling back')")
    assert page.is_disabled('[data-action="ack"]')

    # And the stream's own copy of the acknowledgement, and a replay of the whole stream, change nothing
    before = stats(page)
    local.pump_live()
    replayed = replay_stream(local)
    # (a function, not a string: the page's CSP forbids eval, which a string predicate needs)
    page.wait_for_function("(n) => window.alerting.stats.received >= n", arg=before["received"] + 1 + replayed)
    after = stats(page)
    assert after["ignored"] >= before["ignored"] + 2  # at least the checkout alert's firing and ack
    seen = page.evaluate("Object.fromEntries([...window.alerting.alerts].map(([id, a]) => [id, a.version]))")
    stored = {a["alert_id"]: a["version"] for a in local.api("GET", "/alerts", query={"limit": "100"})[1]["items"]}
    assert seen == {alert_id: stored[alert_id] for alert_id in seen}  # nothing went back in time
    assert page.locator('#alerts tbody tr[data-status="acknowledged"]').count() == 1

    # And the trends are drawn: alerts per hour by severity, MTTA/MTTR, the noisiest rules
    page.wait_for_selector("#severity-chart svg rect.bar-critical")
    assert page.locator("#severity-chart svg rect.bar-high").count() >= 1
    assert page.locator("#mtt-chart svg path.mtta").count() == 1
    assert page.locator("#mtt-chart svg path.mttr").count() == 1
    assert "Order queue backlog: 2" in (page.get_attribute("#noisy-chart svg", "aria-label") or "")
    assert problems == []

    shot = Path(os.environ.get("DASHBOARD_SCREENSHOT") or tmp_path / "dashboard.png")
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_a_rules_page_draws_its_backtest_and_what_a_changed_threshold_removes(history, browser, tmp_path: Path):
    _, url = history
    page = browser.new_page(viewport={"width": 1360, "height": 1000})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))

    # Given the queue backlog's rule page (the link an alert's detail carries)
    page.goto(url + "#rule=queue-backlog")
    page.wait_for_selector("body[data-backtest=done]")
    page.select_option("#backtest-form select[name=hours]", "3")
    page.click("#backtest-form button[type=submit]")
    page.wait_for_selector("body[data-backtest=done]")

    # Then the last hours' two backlogs are two shaded would-be alerts over the metric and its threshold
    chart = page.locator("#backtest-chart svg")
    assert (chart.get_attribute("data-alerts"), chart.get_attribute("data-added")) == ("2", "0")
    assert int(chart.get_attribute("data-points") or 0) >= 60
    assert page.locator("#backtest-chart svg line.threshold").count() == 1
    assert page.locator("#backtest-alerts tbody tr").count() == 2
    assert page.inner_text("#backtest-summary").startswith("2 would-be alerts")
    assert page.locator("#backtest-chart .legend .key").all_inner_texts() == ["would fire"]

    # When they ask what a threshold of 1,600 would have done
    page.fill("#backtest-form input[name=threshold]", "1600")
    page.click("#backtest-form button[type=submit]")
    page.wait_for_selector("body[data-backtest=done]")

    # Then both spans show as removed by the change, and the summary compares with the saved rule
    assert (chart.get_attribute("data-alerts"), chart.get_attribute("data-removed")) == ("0", "2")
    assert "Against the saved rule: alerts 2 → 0" in page.inner_text("#backtest-summary")
    assert problems == []
    shot = Path(os.environ.get("BACKTEST_SCREENSHOT") or tmp_path / "backtest.png")
    page.locator("#rule").screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000


def test_dashboard_filters_the_list_and_subscribes_the_socket_to_the_filter(history, browser):
    local, url = history
    page = browser.new_page(viewport={"width": 420, "height": 900})  # a phone
    page.goto(url)
    page.wait_for_selector("#live-status[data-state=live]")
    page.select_option("#filters select[name=status]", "")
    page.select_option("#filters select[name=severity]", "high")
    page.wait_for_selector("#alerts tbody tr")
    severities = page.locator("#alerts tbody tr .sev").all_inner_texts()
    assert severities and set(severities) == {"high"}

    def subscribed_to_high() -> bool:
        connections = local.client("dynamodb").scan(TableName=local.stack.refs["ConnectionsTable"])["Items"]
        return any('"severity": ["high"]' in item["subscription"]["S"] for item in connections)

    deadline = time.monotonic() + 5  # the subscribe message is handled by the hub's own thread
    while not subscribed_to_high() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert subscribed_to_high()


def replay_stream(local: LocalStack) -> int:
    """Every record of the alerts stream, delivered to the broadcaster again (a redelivery);
    returns how many transitions that pushes to a page that hears everything."""
    batch = local.live_stream.history()
    local.handler("BroadcasterFunction")({"Records": batch}, LambdaContext("broadcaster"))
    return sum(parse_record(r) is not None for r in batch)


FROZEN = datetime(2026, 12, 2, 10, 15, 30, tzinfo=UTC)
CREDENTIALS = {
    "accessKeyId": "AKIDEXAMPLE",
    "secretAccessKey": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "sessionToken": "token/+=",
}


def botocore_signed(monkeypatch: Any, signer: Any, method: str, url: str, body: str, headers: dict[str, str]) -> Any:
    """The request as botocore signs it at FROZEN (the reference the page's signer must equal)."""
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: FROZEN.replace(tzinfo=None))
    credentials = Credentials(CREDENTIALS["accessKeyId"], CREDENTIALS["secretAccessKey"], CREDENTIALS["sessionToken"])
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    signer(credentials).add_auth(request)
    return request


def test_the_pages_sigv4_signer_signs_exactly_as_botocore_does(served, browser, monkeypatch):
    """What the page sends to API Gateway on AWS: headers for REST calls, a presigned URL for $connect."""
    from botocore.auth import SigV4Auth, SigV4QueryAuth

    _, url = served
    page = browser.new_page()
    page.goto(url + "ui/config.json")
    rest = "https://abc123.execute-api.eu-west-1.amazonaws.com/v1/alerts/a-1:2/ack?status=firing&limit=100&next_token=a%2Fb"
    body = '{"by": "dana", "note": "on it"}'
    live = "wss://xyz789.execute-api.eu-west-1.amazonaws.com/live?severity=critical"
    signed = page.evaluate(
        """async ([url, live, body, credentials, now]) => {
            const { signRequest, presignUrl } = await import("/ui/aws.js");
            const at = new Date(now);
            const json = { "content-type": "application/json" };
            const headers = await signRequest(
                { method: "POST", url, body, headers: json, credentials, region: "eu-west-1", now: at });
            return { headers, live: await presignUrl({ url: live, credentials, region: "eu-west-1", now: at }) };
        }""",
        [rest, live, body, CREDENTIALS, FROZEN.isoformat()],
    )
    expected = botocore_signed(
        monkeypatch,
        lambda c: SigV4Auth(c, "execute-api", "eu-west-1"),
        "POST",
        rest,
        body,
        {"content-type": "application/json"},
    )
    assert signed["headers"]["authorization"] == expected.headers["Authorization"]
    assert signed["headers"]["x-amz-security-token"] == CREDENTIALS["sessionToken"]

    presigned = botocore_signed(
        monkeypatch,
        lambda c: SigV4QueryAuth(c, "execute-api", "eu-west-1", expires=300),
        "GET",
        live.replace("wss://", "https://"),
        "",
        {},
    )
    from urllib.parse import parse_qs, urlsplit

    ours, theirs = parse_qs(urlsplit(signed["live"]).query), parse_qs(urlsplit(presigned.url).query)
    assert ours["X-Amz-Signature"] == theirs["X-Amz-Signature"]
    assert ours == theirs
