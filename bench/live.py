"""Live-view benchmark (`make bench`): stream record → browser, measured on the local stack.

The dashboard runs in headless Chromium as `make serve` serves it; the broadcaster's stream is
polled every 250 ms (as Lambda polls a stream shard about four times a second). Each round
acknowledges or un-acknowledges an alert through the API (one alerts-table write, so one
stream record) and waits for the page to apply it. Two figures: from the write to the page
(including the poll wait), and from the broadcaster's invocation to the page (the push alone).
Needs Debian's chromium; prints why it skipped otherwise.
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from alerting_local import browser as chromium
from alerting_local.serve import LIVE_POLL_SECONDS, Runtime, web_front
from alerting_local.stack import LocalStack

ROUNDS = 20
RULE = {
    "rule_id": "bench",
    "name": "Bench",
    "severity": "high",
    "category": "performance",
    "window_seconds": 60,
    "conditions": [
        {
            "metric": {"namespace": "App/Service", "name": "CPUUtilization", "dimensions": {"Service": "web"}},
            "operator": "gte",
            "threshold": 85,
        }
    ],
}


def _wait_applied(page: Any, count: int) -> float:
    page.wait_for_function("(n) => window.alerting.stats.applied >= n", arg=count, timeout=10_000)
    arrived: float = page.evaluate("window.alerting.stats.last_received_at")
    return arrived / 1000


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _measure(local: LocalStack, page: Any, alert_id: str, poll: bool) -> list[float]:
    stop = threading.Event()

    def poller() -> None:
        while not stop.wait(LIVE_POLL_SECONDS):
            local.pump_live()

    thread = threading.Thread(target=poller, daemon=True)
    if poll:
        thread.start()
    latencies = []
    try:
        for n in range(ROUNDS):
            applied = page.evaluate("window.alerting.stats.applied")
            action = "ack" if n % 2 == 0 else "unack"
            status, body = local.api("POST", f"/alerts/{alert_id}/{action}", body={"by": "bench"})
            assert status == 200, body
            written = time.time()
            if not poll:
                local.pump_live()
            latencies.append(_wait_applied(page, applied + 1) - written)
    finally:
        stop.set()
        if poll:
            thread.join(timeout=2)
    return latencies


def main() -> None:
    if not chromium.available():
        print(f"live view: skipped ({chromium.CHROMIUM} is not installed: apt-get install -y chromium)")
        return
    from playwright.sync_api import sync_playwright

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with (
        LocalStack(overrides={"LogLevel": "ERROR"}) as local,
        web_front(Runtime(local), quiet=True) as url,
        sync_playwright() as playwright,
    ):
        local.api("POST", "/rules", body=RULE)
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        local.put_metric("CPUUtilization", 99, now - timedelta(seconds=90))
        local.tick(now)
        local.pump_live()
        alert_id = local.api("GET", "/alerts", query={"status": "firing"})[1]["items"][0]["alert_id"]

        browser = chromium.launch(playwright)
        page = browser.new_page()
        page.goto(url)
        page.wait_for_selector("#live-status[data-state=live]")
        with_poll = _measure(local, page, alert_id, poll=True)
        push_only = _measure(local, page, alert_id, poll=False)
        browser.close()

    print(f"\nLive view: stream record -> browser, {ROUNDS} transitions each, this machine, local stack")
    print(f"  {'path':<44}{'median':>9}{'p95':>9}{'max':>9}")
    for name, values in (
        (f"write -> page (stream polled every {LIVE_POLL_SECONDS * 1000:.0f} ms)", with_poll),
        ("broadcaster invoked -> page (the push alone)", push_only),
    ):
        ms = [v * 1000 for v in values]
        print(f"  {name:<44}{statistics.median(ms):>7.0f}ms{_percentile(ms, 0.95):>7.0f}ms{max(ms):>7.0f}ms")


if __name__ == "__main__":
    main()
