"""An acknowledge link in a real browser (headless Chromium): the e-mail's link, clicked in the
dashboard's local inbox, opens the confirm page (its strict CSP lets its own style in and
nothing else, no script needed); its button acknowledges the alert as the channel."""

from __future__ import annotations

from typing import Any

import requests

from alerting_local.stack import LocalStack
from tests.integration.test_ack_links_local import ACTOR, page_the_email_channel


def test_an_emails_link_clicked_in_the_local_inbox_acknowledges_through_its_confirm_page(
    served: tuple[LocalStack, str], browser: Any
) -> None:
    local, url = served
    alert_id = page_the_email_channel(local, url)
    dashboard = browser.new_page(viewport={"width": 1360, "height": 1000})
    complaints: list[str] = []
    dashboard.context.on("console", lambda message: complaints.append(message.text))
    dashboard.goto(url)

    link = dashboard.locator(".inbox-links a", has_text="/ack?t=")
    link.wait_for(timeout=15_000)
    with dashboard.context.expect_page() as opened:  # target=_blank: a tab of its own
        link.click()
    confirm = opened.value
    confirm.wait_for_load_state()
    title, font = (
        confirm.locator("h1").inner_text(),
        confirm.locator("body").evaluate("body => getComputedStyle(body).fontFamily"),
    )
    firing = requests.get(f"{url}alerts/{alert_id}", timeout=10).json()["status"]
    confirm.get_by_role("button", name="Acknowledge").click()
    confirm.wait_for_load_state()

    assert (title, firing) == ("Acknowledge this alert?", "firing")
    assert "system-ui" in font  # the page's own style applied under its CSP
    assert confirm.locator("h1").inner_text() == "Acknowledged"
    alert = requests.get(f"{url}alerts/{alert_id}", timeout=10).json()
    assert (alert["status"], alert["acknowledged_by"]) == ("acknowledged", ACTOR)
    assert not [c for c in complaints if "Content Security Policy" in c]
