"""A real Alertmanager (Debian's `prometheus-alertmanager`, 0.25) whose receiver pages PagerDuty
through `pagerduty_configs`, with its `url` pointed at `make serve`'s `/v2/enqueue` and its
`routing_key` an events integration's key: a firing, then resolved, alert posted to that
Alertmanager arrives as one alert here that opens, then resolves."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerting.models.common import iso
from tests.ecosystem.conftest import Served
from tests.ecosystem.processes import binary, free_port, running, wait_until


@pytest.fixture
def alertmanager(served: Served, workdir: Path) -> Iterator[str]:
    """Alertmanager on a free loopback port (no cluster), its one receiver paging our stack;
    groups wait a second, so its pages come at once."""
    executable = binary("prometheus-alertmanager")
    _, key = served.integration("events", "Alertmanager pager")
    route = {"receiver": "pager", "group_by": ["alertname"], "group_wait": "1s", "group_interval": "1s"}
    pager = {"name": "pager", "pagerduty_configs": [{"url": f"{served.url}/v2/enqueue", "routing_key": key}]}
    (workdir / "alertmanager.yml").write_text(json.dumps({"route": route, "receivers": [pager]}))  # YAML reads JSON
    port = free_port()
    args = [
        executable,
        f"--config.file={workdir / 'alertmanager.yml'}",
        f"--storage.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        "--log.level=debug",
    ]
    with running(args, workdir, ready=f"http://127.0.0.1:{port}/-/ready") as client:
        yield f"http://127.0.0.1:{port}"
        print(client.log()[-4000:])  # shown when the test fails: what Alertmanager sent, and our answers


def post_alert(alertmanager: str, ends_at: datetime) -> None:
    """Through Alertmanager's own API v2, as Prometheus sends it."""
    alert = {
        "labels": {"alertname": "DiskFull", "instance": "db1", "severity": "critical"},
        "annotations": {"summary": "Disk full on db1"},
        "startsAt": iso(datetime.now(UTC) - timedelta(minutes=1)),
        "endsAt": iso(ends_at),
        "generatorURL": "http://prometheus.example/graph",
    }
    request = urllib.request.Request(
        f"{alertmanager}/api/v2/alerts", json.dumps([alert]).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def events_alerts(served: Served) -> list[dict[str, Any]]:
    status, page = served.local.api("GET", "/alerts", query={"source": "events"})
    assert status == 200, page
    items: list[dict[str, Any]] = page["items"]
    return items


def test_a_firing_then_resolved_alert_opens_and_resolves_one_alert(served: Served, alertmanager: str):
    post_alert(alertmanager, ends_at=datetime.now(UTC) + timedelta(hours=1))
    (alert,) = wait_until(lambda: events_alerts(served), "Alertmanager's trigger to open an alert")

    assert alert["status"] == "firing"
    assert alert["rule_name"] == "[FIRING:1] DiskFull (db1 critical)"
    assert alert["severity"] == "high"  # Alertmanager's default PagerDuty severity: error
    assert alert["labels"]["event_source"] == "Alertmanager"
    assert "alertname = DiskFull" in alert["annotations"]["firing"]
    assert len(alert["annotations"]["dedup_key"]) == 64  # the SHA-256 of Alertmanager's group key
    assert alert["source_url"].endswith("/#/alerts?receiver=pager")

    post_alert(alertmanager, ends_at=datetime.now(UTC))
    (resolved,) = wait_until(
        lambda: [a for a in events_alerts(served) if a["status"] == "resolved"], "Alertmanager's resolve to resolve it"
    )

    assert (resolved["alert_id"], resolved["resolved_by"]) == (alert["alert_id"], "events")
    assert len(events_alerts(served)) == 1  # one alert, opened and resolved
