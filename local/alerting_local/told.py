"""What `make demo` shows of an acknowledgement made from outside the dashboard (a Slack button,
an e-mail link): the alert's history and the audit log, each naming who acted, and the end."""

from __future__ import annotations

from typing import Any

from alerting_local.stack import LocalStack


def acknowledged_by(local: LocalStack, alert: dict[str, Any], actor: str) -> bool:
    """Prints what the history and the audit log say; True when both name ``actor`` once, and
    the alert has resolved since."""
    _, history = local.api("GET", f"/alerts/{alert['alert_id']}/history")
    acked = [t for t in history["items"] if t["event"] == "acknowledged"]
    _, audit = local.api("GET", "/audit", query={"actor": actor})
    entries = [e for e in audit.get("items", []) if e["resource"] == f"alert/{alert['alert_id']}"]
    for transition in acked:
        print(f"  history: {transition['event']} by {transition['actor']} ({transition['note'] or 'no note'})")
    for entry in entries:
        print(f"  audit:   {entry['action']} {entry['resource']} by {entry['actor']} ({entry['note']})")
    print(f"  then the monitor resolves it: the alert is {alert['status']}")
    return [t["actor"] for t in acked] == [actor] and len(entries) == 1 and alert["status"] == "resolved"
