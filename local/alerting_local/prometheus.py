"""Prometheus in `make demo`: Debian's `prometheus` binary, run as a plain process on a loopback
port with a temporary directory (never as a service), pointed at the local stack's Alertmanager
API as a user's `alertmanager_config` would be. One rule over a constant fires; its labels
route it to the payments team; the rule file, changed and reloaded (SIGHUP), resolves it.

Without the binary the step says how to get it and is left out.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alerting.models.common import set_clock
from alerting_local.stack import LocalStack

RULE = """groups:
  - name: checkout
    interval: 1s
    rules:
      - alert: CheckoutErrorBudgetBurn
        expr: vector(14.4){condition}
        labels: {{severity: critical, team: payments}}
        annotations: {{summary: "checkout burns its error budget 14.4x too fast"}}
"""
CONFIG = """global: {{evaluation_interval: 1s}}
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - api_version: v2
      basic_auth: {{username: prometheus, password: "{key}"}}
      static_configs: [{{targets: ["{address}"]}}]
"""
WAIT_SECONDS = 30.0


def page_through_routes(local: LocalStack, channel: str) -> bool:
    """Prometheus fires, is routed to ``channel`` (the payments route), and resolves. True when
    the channel heard both; True too when the binary is missing (the step is left out). Runs on
    the wall clock: Prometheus dates its alerts by it."""
    from alerting_local.serve import Runtime, web_front  # once the stack has set the functions' environment

    binary = shutil.which("prometheus")
    print("\nPrometheus: alertmanager_config pointed at /api/v2 (basic auth, an integration's key), team=payments")
    if binary is None:
        print("  prometheus is not installed: `sudo apt-get install prometheus` (Debian, Ubuntu) to see this step")
        return True
    set_clock(None)
    key = local.api("POST", "/integrations", {"name": "Prometheus", "type": "alertmanager"})[1]["key"]
    with (
        web_front(Runtime(local), quiet=True) as front,
        tempfile.TemporaryDirectory(prefix="demo-prometheus-") as folder,
        running(binary, Path(folder), front, key) as rules,
    ):
        opened = wait_for(local, "firing")
        print(f"  firing   {opened['rule_name']} {opened['labels']} -> opened {opened['alert_id']}")
        rules(" < 0")  # the expression stops returning anything: Prometheus resolves the alert
        resolved = wait_for(local, "resolved")
        print(f"  resolved {resolved['rule_name']} -> the alert is {resolved['status']}")
    deliveries = local.api("GET", f"/alerts/{opened['alert_id']}/deliveries")[1]["items"]
    heard = [d["event"] for d in deliveries if d["channel_id"] == channel and d["status"] == "delivered"]
    print(f"  route 'payments' -> {channel}: {', '.join(heard)}")
    return heard == ["firing", "resolved"]


@contextmanager
def running(binary: str, folder: Path, front: str, key: str) -> Iterator[Callable[[str], None]]:
    """Prometheus in ``folder``, until the block ends; yields what rewrites its rule's condition
    and reloads it."""
    (folder / "rules.yml").write_text(RULE.format(condition=""))
    (folder / "prometheus.yml").write_text(CONFIG.format(key=key, address=front.removeprefix("http://").rstrip("/")))
    port = free_port()
    args = [
        binary,
        "--config.file=prometheus.yml",
        f"--storage.tsdb.path={folder / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--rules.alert.resend-delay=1s",
        "--log.level=error",
    ]
    process = subprocess.Popen(args, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def reload(condition: str) -> None:
        (folder / "rules.yml").write_text(RULE.format(condition=condition))
        process.send_signal(signal.SIGHUP)

    try:
        yield reload
    finally:
        process.terminate()
        process.wait(timeout=10)


def wait_for(local: LocalStack, status: str) -> dict[str, Any]:
    """Prometheus's alert once it has ``status``, its transitions delivered (the stream pumped)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        local.pump()
        _, page = local.api("GET", "/alerts", query={"source": "prometheus", "status": status})
        if page["items"]:
            local.pump()
            found: dict[str, Any] = page["items"][0]
            return found
        time.sleep(0.5)
    raise RuntimeError(f"Prometheus's alert was not {status} within {WAIT_SECONDS:g} s")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
