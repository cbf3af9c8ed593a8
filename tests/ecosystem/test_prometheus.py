"""A real Prometheus (Debian's `prometheus`, 2.42) pointed at our Alertmanager API as its
`alertmanager_config` says, with an alertmanager integration's key as basic auth's password:
it scrapes a tiny target we serve, fires a rule on it, and we open one alert with its labels;
when the target's value drops, it resolves; when Prometheus stops sending, the alert resolves
at its `endsAt` (the sweep). Intervals of a second keep each test within seconds."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from alerting.repositories.alerts import AlertRepository
from tests.ecosystem.conftest import Served
from tests.ecosystem.processes import binary, free_port, running, wait_until

RULES = """groups:
  - name: disks
    interval: 1s
    rules:
      - alert: DiskAlmostFull
        expr: ecosystem_disk_used_ratio > 0.9
        labels: {severity: warning}
        annotations: {summary: "disk {{ $value }} full on {{ $labels.instance }}"}
"""


class Target:
    """A scrape target serving one gauge, whose value the test sets."""

    def __init__(self) -> None:
        self.value = 0.97
        target = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = f"# TYPE ecosystem_disk_used_ratio gauge\necosystem_disk_used_ratio {target.value}\n".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Target:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def config(target: str, alertmanager: str, key: str) -> str:
    return f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [rules.yml]
scrape_configs:
  - job_name: disks
    static_configs: [{{targets: ["{target}"]}}]
alerting:
  alertmanagers:
    - api_version: v2
      timeout: 5s
      basic_auth: {{username: prometheus, password: "{key}"}}
      static_configs: [{{targets: ["{alertmanager}"]}}]
"""


@pytest.fixture
def prometheus_setup(served: Served, workdir: Path) -> Iterator[tuple[Target, Path]]:
    binary("prometheus")
    _, key = served.integration("alertmanager", "Prometheus", labels={"team": "payments"})
    with Target() as target:
        (workdir / "rules.yml").write_text(RULES)
        (workdir / "prometheus.yml").write_text(config(target.address, served.address, key))
        yield target, workdir


def prometheus(workdir: Path) -> Any:
    port = free_port()
    return running(
        [
            binary("prometheus"),
            "--config.file=prometheus.yml",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--rules.alert.resend-delay=1s",
            "--log.level=warn",
        ],
        workdir,
        ready=f"http://127.0.0.1:{port}/-/ready",
    )


def alerts(served: Served, status: str | None = None) -> list[dict[str, Any]]:
    query = {"source": "prometheus", **({"status": status} if status else {})}
    answered, page = served.local.api("GET", "/alerts", query=query)
    assert answered == 200, page
    return [a for a in page["items"] if a["rule_name"] == "DiskAlmostFull"]


def test_prometheus_fires_one_alert_with_its_labels_and_resolves_it(served: Served, prometheus_setup) -> None:
    target, workdir = prometheus_setup
    with prometheus(workdir) as running_prometheus:
        (opened,) = wait_until(lambda: alerts(served, "firing"), "Prometheus's alert to open")
        assert opened["labels"] == {
            "alertname": "DiskAlmostFull",
            "instance": target.address,
            "job": "disks",
            "severity": "warning",
            "team": "payments",  # the integration's
        }
        assert opened["source"] == "prometheus" and opened["severity"] == "medium"
        assert opened["annotations"]["summary"] == f"disk 0.97 full on {target.address}"
        assert opened["source_url"].startswith("http://")

        # Resent each second with a later endsAt: remembered, and still the one alert
        first_end = ends_at(served, opened)
        wait_until(lambda: ends_at(served, opened) >= first_end + timedelta(seconds=3), "three resends")
        assert [a["alert_id"] for a in alerts(served)] == [opened["alert_id"]]

        target.value = 0.5

        (resolved,) = wait_until(lambda: alerts(served, "resolved"), "the alert to resolve")
        assert resolved["alert_id"] == opened["alert_id"] and resolved["resolution"] == "auto"
        running_prometheus.check_alive()
        assert "Error sending alert" not in running_prometheus.log()


def test_an_alert_prometheus_stops_sending_resolves_at_its_ends_at(served: Served, prometheus_setup) -> None:
    _, workdir = prometheus_setup
    with prometheus(workdir):
        (opened,) = wait_until(lambda: alerts(served, "firing"), "Prometheus's alert to open")
    stopped = datetime.now(UTC)

    # endsAt: four resend delays (1 s) after the last evaluation. The sweep runs each minute, on
    # the minute: before the end it leaves the alert open, on the next minute it resolves it.
    served.local.tick(stopped)
    assert opened["alert_id"] in [a["alert_id"] for a in alerts(served, "firing")]
    served.local.tick(stopped + timedelta(seconds=65))

    (resolved,) = [a for a in alerts(served, "resolved") if a["alert_id"] == opened["alert_id"]]
    assert resolved["resolution"] == "auto"
    (ended,) = served.local.api("GET", f"/alerts/{opened['alert_id']}/history")[1]["items"][-1:]
    assert ended["reason"] == "not sent again before its end (prometheus)"


def ends_at(served: Served, alert: dict[str, Any]) -> datetime:
    """The endsAt Prometheus last sent for ``alert``, as the lifecycle remembers it."""
    refs = served.local.stack.refs
    repository = AlertRepository(served.local.client("dynamodb"), refs["AlertsTable"], refs["AlertLogTable"])
    latest = repository.latest(alert["fingerprint"])
    assert latest is not None and latest.ends_at is not None, latest
    return latest.ends_at
