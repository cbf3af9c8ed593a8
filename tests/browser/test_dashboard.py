"""The dashboard in headless Chromium on the local stack: an alert appears live after a tick,
without a reload; Acknowledge changes it and redraws the trends; the charts are drawn (ticks at
1/2/5 steps with units, a severity legend, a lone point with its threshold and the alert's span);
an alert's incident timeline and why its deliveries were held back; the local inbox; the page
on a phone; a replayed stream changes nothing. Saves a screenshot (``DASHBOARD_SCREENSHOT``
names where: ``make screenshot`` writes the README's ``docs/dashboard.png``), and one of each
part (in ``DASHBOARD_SHOTS``, a directory, when set)."""

from __future__ import annotations

import itertools
import math
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerting.models.common import floor_minute, set_clock
from alerting.repositories.stream_records import parse_record
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


# An incident with somewhere to go: a disk fills 14 minutes before the page opens; its rule's webhook
# takes critical alerts only (held back: filtered out), its escalation policy tells Slack at once
# and e-mail two minutes later (nobody acknowledges).
INCIDENT_CHANNELS = [
    {"channel_id": "pager", "name": "Pager", "type": "webhook", "filters": {"min_severity": "critical"}},
    {"channel_id": "ops-slack", "name": "#ops", "type": "slack"},
    {"channel_id": "oncall-mail", "name": "On-call mail", "type": "email", "target": {"to": ["oncall@example.com"]}},
]
POLICY = {
    "policy_id": "disk-escalation",
    "name": "Disk",
    "levels": [
        {"targets": [{"channel": "ops-slack"}], "escalate_after_seconds": 120},
        {"targets": [{"channel": "oncall-mail"}], "escalate_after_seconds": 600},
    ],
}
INCIDENT_RULES = [
    {
        "rule_id": "disk-full",
        "name": "Disk almost full",
        "severity": "high",
        "category": "capacity",
        "conditions": [
            {
                "metric": {"namespace": "Shop", "name": "DiskUsed", "dimensions": SERVICE, "statistic": "Maximum"},
                "operator": "gt",
                "threshold": 90,
            }
        ],
        "window_seconds": 60,
        "channels": ["pager"],
        "escalation_policy_id": "disk-escalation",
    },
    {  # one datapoint ever: its chart is a point, a threshold and the alert's span
        "rule_id": "tls-expiry",
        "name": "TLS certificate expiry",
        "severity": "medium",
        "category": "availability",
        "conditions": [
            {
                "metric": {"namespace": "Shop", "name": "CertDaysLeft", "dimensions": SERVICE, "statistic": "Minimum"},
                "operator": "lt",
                "threshold": 7,
            }
        ],
        "window_seconds": 60,
    },
]
TLS_POINT_MINUTE = -9


def create_incident(local: LocalStack) -> None:
    targets = {
        "pager": {"url": local.receiver.url("/hook/pager-token")},
        "ops-slack": {"webhook_url": local.receiver.url("/services/T0/B0/browser-test-token")},
    }
    for channel in INCIDENT_CHANNELS:
        status, body = local.api("POST", "/channels", body={"target": targets.get(channel["channel_id"]), **channel})
        assert status == 201, body
    for path, item in [("/escalation-policies", POLICY), *(("/rules", rule) for rule in INCIDENT_RULES)]:
        status, body = local.api("POST", path, body=item)
        assert status == 201, body


def disk(minute: int) -> float:
    return 95 if minute >= -14 else 60


def latency(minute: int) -> float:
    """Calm, then a climb in the last minutes that stays under the warning line (500) until now."""
    return 240 + 15 * (minute % 5) if minute < -6 else 240 + 40 * (minute + 7)


def backlog(minute: int) -> float:
    return 1500 if -50 <= minute <= -38 or -22 <= minute <= -18 else 300


def errors(minute: int) -> float:
    return 9 if -30 <= minute <= -26 else 1


def record_history(local: LocalStack) -> None:
    """An hour before the page opens: alerts that fired and resolved, one acknowledged; a disk
    incident that escalated; a certificate's single datapoint. Each minute's tick and deliveries
    happen at that minute (the handlers' clock is set to it), as they would have."""
    for rule in RULES:
        status, body = local.api("POST", "/rules", body=rule)
        assert status == 201, body
    create_incident(local)
    try:
        for minute in range(-60, 0):
            at = NOW + timedelta(minutes=minute)
            metrics = [("LatencyMs", latency(minute)), ("QueueDepth", backlog(minute)), ("Errors", errors(minute))]
            metrics.append(("DiskUsed", disk(minute)))
            if minute == TLS_POINT_MINUTE:
                metrics.append(("CertDaysLeft", 5))
            for name, value in metrics:
                local.put_metric(name, value, at - timedelta(seconds=30), dimensions=SERVICE, namespace="Shop")
            set_clock(lambda at=at: at + timedelta(seconds=20))
            local.tick(at)
            if minute == -27:
                open_errors = local.api("GET", "/alerts", query={"rule_id": "payment-errors", "status": "firing"})[1]
                local.api("POST", f"/alerts/{open_errors['items'][0]['alert_id']}/ack", body={"by": "dana"})
            local.pump()
    finally:
        set_clock(None)


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

    # When they acknowledge it with a note (once the trends are redrawn after the firing: the
    # page's first drawing and the one a live message schedules)
    page.wait_for_function("() => window.alerting.stats.trends >= 2")
    mtta_before = page.get_attribute("#mtt-chart svg", "aria-label")
    page.fill("#actions input[name=note]", "rolling back the 14:02 deploy")
    page.click('[data-action="ack"]')

    # Then the state changes in the list and the detail, and the history shows the note
    page.wait_for_selector('#alerts tbody tr[data-status="acknowledged"]')
    page.wait_for_selector("#history li:has-text('rolling back')")
    assert page.is_disabled('[data-action="ack"]')
    # And the trends are read again: the acknowledgement moves the mean time to acknowledge
    page.wait_for_function(
        "(before) => document.querySelector('#mtt-chart svg').getAttribute('aria-label') !== before", arg=mtta_before
    )
    # And the incident timeline shows the firing and the acknowledgement on one axis
    page.wait_for_selector("#timeline-chart svg[data-transitions='2'] .band-acknowledged")

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
    legend = page.locator("#severity-chart .legend .key").all_inner_texts()
    assert legend == ["critical", "high", "medium", "low", "info"]

    # And the local inbox (make serve's alone) lists what the stand-ins received: Slack, e-mail, SNS
    page.wait_for_selector("#inbox:not([hidden]) #inbox-items li")
    kinds = set(page.eval_on_selector_all("#inbox-items li", "items => items.map((li) => li.dataset.channel)"))
    assert {"slack", "email", "sns"} <= kinds
    assert "browser-test-token" not in page.inner_text("#inbox")
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


def shot(target: Any, name: str, tmp_path: Path, **options: Any) -> Path:
    """A screenshot of a page or an element, in ``DASHBOARD_SHOTS`` when set (to look at)."""
    folder = Path(os.environ.get("DASHBOARD_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    target.screenshot(path=str(path), **options)
    assert path.stat().st_size > 2_000
    return path


def open_alert(page: Any, url: str, rule_name: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")
    page.locator("#alerts tbody tr", has_text=rule_name).click()
    page.wait_for_selector("#timeline-chart svg")
    page.wait_for_selector("#metric-chart svg[data-points]")


def test_an_alerts_page_shows_its_incident_timeline_and_why_deliveries_were_held_back(history, browser, tmp_path):
    _, url = history
    page = browser.new_page(viewport={"width": 1360, "height": 1000})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))

    # Given the disk alert: its webhook takes critical alerts only, its policy escalated to e-mail
    open_alert(page, url, "Disk almost full")

    # Then each delivery says what became of it, and a held-back one why
    rows = {
        (r[0], r[1]): r[2]
        for r in page.eval_on_selector_all(
            "#deliveries tbody tr", "rows => rows.map((r) => [...r.cells].map((c) => c.innerText))"
        )
    }
    assert rows[("firing", "pager")] == "suppressed\nfiltered out"
    assert rows[("firing", "ops-slack")] == "delivered"
    assert rows[("escalated", "oncall-mail")] == "delivered"

    # And the timeline puts the transitions, every delivery and the escalation on one axis
    timeline = page.locator("#timeline-chart svg")
    assert timeline.get_attribute("data-escalations") == "1"
    assert timeline.get_attribute("data-transitions") == "1"  # firing; nobody acknowledged it
    assert int(timeline.get_attribute("data-deliveries") or 0) == len(rows)
    assert page.locator("#timeline-chart svg circle.dl-suppressed").count() == 1
    assert page.locator("#timeline-chart svg .tl-escalated").count() == 1
    label = timeline.get_attribute("aria-label") or ""
    assert f"{len(rows)} deliveries ({len(rows) - 1} delivered, 1 not), 1 escalations" in label

    # And every reason a delivery can be held back for reads as such
    notes = page.evaluate(
        """async () => {
            const { deliveryNote } = await import("/ui/app.js");
            const held = { status: "suppressed" };
            return [
                deliveryNote({ ...held, silence_id: "maint-1", error: "silenced by maint-1" }),
                deliveryNote({ ...held, mute_window_id: "nights" }),
                deliveryNote({ ...held, inhibited_by: "a-9" }),
                deliveryNote({ ...held, flapping: true }),
                deliveryNote({ ...held, error: "disabled" }),
                deliveryNote({ ...held }),
                deliveryNote({ status: "failed", error: "HTTP 404" }),
                deliveryNote({ status: "delivered" }),
            ];
        }"""
    )
    assert notes == [
        "silenced by maint-1",
        "muted by nights",
        "inhibited by alert a-9",
        "flapping",
        "disabled",
        "filtered out",
        "HTTP 404",
        "",
    ]
    assert problems == []
    shot(page.locator("#detail"), "incident", tmp_path)


def test_a_one_point_chart_shows_the_point_the_threshold_and_the_alerts_span(history, browser, tmp_path):
    _, url = history
    page = browser.new_page(viewport={"width": 1360, "height": 1000})

    open_alert(page, url, "TLS certificate expiry")

    chart = page.locator("#metric-chart svg")
    assert (chart.get_attribute("data-points"), chart.get_attribute("data-span")) == ("1", "1")
    assert page.locator("#metric-chart svg circle.lone").count() == 1
    assert page.locator("#metric-chart svg line.threshold").count() == 1
    assert page.locator("#metric-chart svg rect.span-alert").count() == 1
    assert (page.text_content("#metric-chart svg text.value") or "").startswith("5 at ")
    assert "alert firing since" in (chart.get_attribute("aria-label") or "")
    shot(page.locator("#metric-chart"), "one-point", tmp_path)


def steps_of(labels: list[str]) -> set[float]:
    values = [float(v) for v in labels]
    return {round(b - a, 9) for a, b in itertools.pairwise(values)}


def is_125(step: float) -> bool:
    """1, 2 or 5 times a power of ten."""
    power = 10 ** math.floor(math.log10(step) + 1e-9)
    return round(step / power, 6) in (1, 2, 5)


def test_axes_tick_at_1_2_5_steps_with_units_and_the_severity_chart_has_a_legend(history, browser, tmp_path):
    _, url = history
    page = browser.new_page(viewport={"width": 1360, "height": 1000})
    open_alert(page, url, "Disk almost full")
    page.wait_for_selector("#severity-chart svg rect")

    # The tick function itself, on the ranges that read oddly before (0.53, 1.06 ...)
    ticks = page.evaluate(
        """async () => {
            const { niceTicks, timeTicks } = await import("/ui/charts.js");
            const t0 = Date.parse("2026-12-02T10:07:00Z");
            const hhmm = (t) => new Date(t).toISOString().slice(11, 16);
            return {
                small: niceTicks(0.53, 1.06, 4), cpu: niceTicks(240, 950, 5),
                count: niceTicks(0, 3, 4, { integer: true }), flat: niceTicks(97, 97, 5),
                hour: timeTicks(t0, t0 + 3600e3, 6).map(hhmm),
            };
        }"""
    )
    assert ticks == {
        "small": [0.4, 0.6, 0.8, 1, 1.2],
        "cpu": [200, 400, 600, 800, 1000],
        "count": [0, 1, 2, 3],
        "flat": [96, 96.5, 97, 97.5, 98],
        "hour": ["10:10", "10:20", "10:30", "10:40", "10:50", "11:00"],
    }

    # And every drawn value axis steps by 1, 2 or 5 times a power of ten, and says its unit
    for chart in ("#metric-chart", "#severity-chart", "#mtt-chart"):
        labels = page.locator(f"{chart} svg text.tick-y").all_text_contents()
        (step,) = steps_of(labels)
        assert is_125(step), (chart, labels)
        units = page.locator(f"{chart} svg text.unit").all_text_contents()
        assert "UTC" in units and len(units) == 2, (chart, units)
    assert page.locator("#severity-chart svg text.unit").first.text_content() == "alerts"
    assert page.locator("#mtt-chart svg text.unit").first.text_content() == "minutes"
    assert "DiskUsed" in (page.locator("#metric-chart svg text.unit").first.text_content() or "")
    shot(page.locator("#metric-chart"), "metric-axes", tmp_path)
    shot(page.locator(".trends"), "trends", tmp_path)


def test_on_a_phone_the_status_columns_show_and_the_favicon_is_served(history, browser, tmp_path):
    _, url = history
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    open_alert(page, url, "Disk almost full")

    assert page.locator("#alerts thead th", has_text="Status").is_visible()
    assert page.locator("#alerts tbody tr .status").first.is_visible()
    assert page.locator("#alerts thead th", has_text="Series").is_hidden()  # the one column a phone leaves out
    assert page.locator("#deliveries thead th", has_text="Status").is_visible()
    assert page.locator("#deliveries tbody tr", has_text="filtered out").first.is_visible()
    shot(page, "phone", tmp_path, full_page=True)

    icon = page.get_attribute("link[rel=icon]", "href")
    page.goto(url + (icon or ""))
    assert "svg" in page.evaluate("document.contentType")
    shot(page.locator("svg"), "favicon", tmp_path)


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
