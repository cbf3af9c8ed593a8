"""The dashboard as each role sees it, in headless Chromium on the local stack (`X-Local-Role` on
every request signs it as a Cognito user of that role; the local front applies the template's
IAM statements): a viewer sees no action buttons, a responder acknowledges, an admin saves a
rule's threshold; the alert's history and the audit log name each as authenticated."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alerting.models.common import floor_minute
from alerting_local.stack import LocalStack
from tests.browser.test_dashboard import RULES, SERVICE

NOW = floor_minute(datetime.now(UTC))
RULE = RULES[0]  # Checkout latency


@pytest.fixture(scope="module")
def firing(served: tuple[LocalStack, str]) -> Iterator[tuple[LocalStack, str, str]]:
    local, url = served
    assert local.api("POST", "/rules", body=RULE)[0] == 201
    local.put_metric("LatencyMs", 950, NOW - timedelta(seconds=80), dimensions=SERVICE, namespace="Shop")
    local.tick(NOW)
    local.pump()
    alerts = local.api("GET", "/alerts", query={"rule_id": RULE["rule_id"]})[1]["items"]
    yield local, url, alerts[0]["alert_id"]


def page_as(browser: Any, url: str, role: str) -> Any:
    context = browser.new_context(viewport={"width": 1360, "height": 1000}, extra_http_headers={"X-Local-Role": role})
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")
    assert page.get_attribute("body", "data-role") == role
    assert page.inner_text("#signed-in-as") == f"cognito:local-{role} ({role})"
    return page


def test_a_viewer_sees_the_alert_but_no_action_buttons(firing, browser):
    _, url, _ = firing
    page = page_as(browser, url, "viewer")
    page.locator("#alerts tbody tr", has_text=RULE["name"]).click()
    page.wait_for_selector("#history li")
    for name in ("Acknowledge", "Resolve", "Silence"):
        assert not page.get_by_role("button", name=name).is_visible()
    page.goto(f"{url}#rule={RULE['rule_id']}")
    page.wait_for_selector("#rule:not([hidden])")
    assert not page.get_by_role("button", name="Save this threshold").is_visible()
    assert not page.get_by_role("button", name="Backtest").is_visible()


def test_a_responder_acknowledges_as_themself(firing, browser):
    local, url, alert_id = firing
    page = page_as(browser, url, "responder")
    page.locator("#alerts tbody tr", has_text=RULE["name"]).click()
    page.fill("#actions input[name=note]", "looking")
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_selector("#history li:has-text('acknowledged by cognito:local-responder')")
    assert "“looking”" in page.inner_text("#history")
    page.goto(f"{url}#rule={RULE['rule_id']}")
    page.wait_for_selector("#rule:not([hidden])")
    assert not page.get_by_role("button", name="Save this threshold").is_visible()
    assert local.api("GET", f"/alerts/{alert_id}")[1]["acknowledged_by"] == "cognito:local-responder"


def test_an_admin_edits_a_rule_and_the_audit_log_names_everyone(firing, browser):
    local, url, alert_id = firing
    page = page_as(browser, url, "admin")
    page.goto(f"{url}#rule={RULE['rule_id']}")
    page.wait_for_selector("#rule:not([hidden])")
    page.fill("#backtest-form input[name=threshold]", "900")
    page.get_by_role("button", name="Save this threshold").click()
    page.wait_for_selector("#announcer:has-text('threshold saved')")
    rule = local.api("GET", f"/rules/{RULE['rule_id']}")[1]
    assert (rule["conditions"][0]["threshold"], rule["version"]) == (900, 2)

    status, audit = local.api("GET", "/audit", headers={"X-Local-Role": "admin"})
    assert status == 200
    seen = [(e["actor"], e["action"], e["resource"]) for e in audit["items"]]
    assert seen[:2] == [
        ("cognito:local-admin", "update", f"rule/{RULE['rule_id']}"),
        ("cognito:local-responder", "ack", f"alert/{alert_id}"),
    ]
    assert list(audit["items"][0]["change"]) == ["conditions"]  # what changed (bounded: a long value is cut)
