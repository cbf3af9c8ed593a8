"""`make demo`'s other sources, on the scenario's clock: an existing CloudWatch alarm pages the
on-call person through a route (escalation included), and a backup job's heartbeat goes quiet
and comes back.

The alarm is moto's; its state changes as `aws cloudwatch set-alarm-state` would change it, and
the local stack's EventBridge stand-in hands the event AWS would send to the alarm ingest
function. The heartbeat is pinged through the ingest API (`GET /ping/<key>`) every minute until
minute HEARTBEAT_STOPS; its alert opens once period + grace pass, and the next ping resolves it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alerting_local.eventbridge import metric_alarm
from alerting_local.stack import LocalStack

ALARM = "orders-5xx"
ALARM_FIRES, ALARM_RECOVERS = 18, 26  # minutes of the scenario
HEARTBEAT_STOPS, HEARTBEAT_RESUMES = 12, 21  # its last ping before the gap, and the first after
# An alarm someone made long ago (as `aws cloudwatch put-metric-alarm` would): its tags decide who hears it.
ALARM_SPEC = metric_alarm(
    ALARM,
    "Orders API answers 5xx",
    ("App/Orders", "Http5xxCount", {"Service": "orders"}),
    10,
    tags={"team": "orders", "severity": "critical"},
)
ROUTES: list[dict[str, Any]] = [
    {  # every alarm of the orders team pages the web on-call, as the CPU rule's policy does
        "route_id": "orders-alarms",
        "name": "Orders alarms to the on-call",
        "position": 1,
        "matchers": [{"label": "source", "value": "cloudwatch"}, {"label": "team", "value": "orders"}],
        "receiver": {"channels": ["ops-slack"], "escalation_policy_id": "web-oncall"},
    },
    {
        "route_id": "jobs",
        "name": "Jobs that stop checking in",
        "position": 2,
        "matchers": [{"label": "source", "value": "heartbeat"}],
        "receiver": {"channels": ["ops-slack"]},
    },
]


@dataclass
class OtherSources:
    local: LocalStack
    heartbeat_key: str = ""
    said: list[str] = field(default_factory=list)

    def set_up(self) -> None:
        for route in ROUTES:
            self._create("/routes", route)
        self.local.client("cloudwatch").put_metric_alarm(**ALARM_SPEC)
        heartbeat = {"heartbeat_id": "nightly-backup", "name": "Nightly backup", "period_seconds": 120}
        self.heartbeat_key = self._create("/heartbeats", heartbeat | {"grace_seconds": 60})["key"]
        print(
            f"Existing CloudWatch alarm {ALARM!r} (tags team=orders, severity=critical): route 'orders-alarms' "
            "pages the web on-call through the escalation policy"
        )
        print(
            "Heartbeat 'nightly-backup': a ping every 2 min (+1 min grace) expected on GET /ping/<key>; "
            "route 'jobs' tells #ops"
        )

    def before_tick(self, minute: int) -> None:
        """The alarm's state changes and the job's pings of this minute (on the scenario's clock)."""
        if minute in (ALARM_FIRES, ALARM_RECOVERS):
            firing = minute == ALARM_FIRES
            self.local.client("cloudwatch").set_alarm_state(
                AlarmName=ALARM,
                StateValue="ALARM" if firing else "OK",
                StateReason="Threshold Crossed: 1 datapoint [42.0] was greater than the threshold (10.0)."
                if firing
                else "Threshold Crossed: 1 datapoint [0.0] was not greater than the threshold (10.0).",
            )
        if minute <= HEARTBEAT_STOPS or minute >= HEARTBEAT_RESUMES:
            status, _ = self.local.ingest("GET", f"/ping/{self.heartbeat_key}")
            if status != 200:
                raise SystemExit(f"the heartbeat's ping failed: {status}")

    def check(self) -> bool:
        """Each source's alert opened, reached whom its route names, and resolved."""
        alarm = self._only("cloudwatch")
        heartbeat = self._only("heartbeat")
        alarm_sent = self._delivered(alarm)
        paged = any(channel.endswith("-sms") for _, channel in alarm_sent)
        print(
            f"\n  CloudWatch alarm {ALARM}: {alarm['status']}, "
            f"{', '.join(f'{event} -> {channel}' for event, channel in alarm_sent)}"
        )
        heard = self._delivered(heartbeat)
        print(
            f"  Heartbeat nightly-backup: {heartbeat['status']} "
            f"({heartbeat['last_transition']['reason']}), {', '.join(f'{e} -> {c}' for e, c in heard)}"
        )
        return (
            alarm["status"] == "resolved"
            and ("escalated", "ops-slack") not in alarm_sent
            and paged
            and heartbeat["status"] == "resolved"
            and [event for event, channel in heard if channel == "ops-slack"] == ["firing", "resolved"]
        )

    def _only(self, source: str) -> dict[str, Any]:
        _, page = self.local.api("GET", "/alerts", query={"source": source})
        (alert,) = page["items"]
        return dict(alert)

    def _delivered(self, alert: dict[str, Any]) -> list[tuple[str, str]]:
        _, page = self.local.api("GET", f"/alerts/{alert['alert_id']}/deliveries")
        return [(d["event"], d["channel_id"]) for d in page["items"] if d["status"] == "delivered"]

    def _create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        status, created = self.local.api("POST", path, body=body)
        if status != 201:
            raise SystemExit(f"POST {path} failed: {status} {created}")
        return dict(created)
