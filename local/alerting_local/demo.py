"""`make demo`: the whole system on moto, a 24-minute incident played on a simulated clock.

CPU climbs past 85 %, holds, and recovers; the cache hit rate dips below 70 % and recovers.
The default rules fire, the notifier delivers to Slack (a local receiver), e-mail (SES in moto)
and the SNS topic (an SQS subscription). The CPU rule has an escalation policy: nobody
acknowledges within two minutes, so the manager is paged (level 2); the operator then
acknowledges through the API, which stops the escalation before the director (level 3) hears
of it. A maintenance silence covers the cache rule until minute 15: its firing is recorded as
suppressed, then announced when the silence ends. The alerts auto-resolve. Exits 0 only when
every expected alert fired, was delivered to every channel, escalated exactly to level 2, was
silenced and announced after the silence, and resolved.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from alerting.models.common import set_clock
from alerting_local.stack import LocalStack

MINUTES = 24
EXPECTED = ("high-cpu-usage", "low-cache-hit-rate")


def cpu(minute: int) -> float:
    return {4: 72.0, 5: 86.0, 6: 91.0, 7: 94.0}.get(minute, 95.0 if 8 <= minute <= 13 else 41.0 + minute % 3)


def cache_hit_rate(minute: int) -> float:
    return 52.0 if 5 <= minute <= 13 else 92.0


def memory(minute: int) -> float:
    return 61.0 + minute % 4


@dataclass
class Timeline:
    start: datetime
    lines: list[str] = field(default_factory=list)

    def say(self, minute: int, text: str) -> None:
        stamp = (self.start + timedelta(minutes=minute)).strftime("%H:%M")
        line = f"  {stamp}  {text}"
        self.lines.append(line)
        print(line, flush=True)


def run(fast: bool = True) -> int:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    started = time.perf_counter()
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=MINUTES)
    with LocalStack(overrides={"LogLevel": "ERROR"}) as local:
        timeline = Timeline(start)
        print(f"Local stack: moto on {local.server.endpoint}, Slack stand-in on {local.receiver.url('/')}")
        print(f"Default rules seeded by the custom resource: {local.seed_default_rules()}")
        subscription = local.subscribe_queue("demo-subscriber")
        channels = create_channels(local)
        for rule_id in (*EXPECTED, "high-memory-usage"):
            attach_channels(local, rule_id, channels)
        create_policy(local)
        set_clock(frozen(start))
        silence_until = create_silence(local, start)
        set_clock(None)
        print(f"Channels: {', '.join(channels)} (+ the SNS topic, which receives every transition)")
        print(
            f"Escalation policy {POLICY['policy_id']!r} on high-cpu-usage: "
            + " -> ".join(
                f"{lvl['targets'][0]['channel']} ({lvl['escalate_after_seconds'] // 60} min)"
                for lvl in POLICY["levels"]
            )
            + "\n"
        )
        print(
            f"Silence {SILENCE['silence_id']!r}: low-cache-hit-rate not notified until "
            f"{silence_until:%H:%M} ({SILENCE['comment']})\n"
        )
        print(f"Timeline (simulated clock, {MINUTES} minutes):")

        open_alerts: dict[str, str] = {}
        acked: set[str] = set()
        seen_deliveries: set[tuple[str, int, str]] = set()
        for minute in range(MINUTES + 1):
            at = start + timedelta(minutes=minute)
            local.put_metric("CPUUtilization", cpu(minute), at + timedelta(seconds=5))
            local.put_metric("MemoryUtilization", memory(minute), at + timedelta(seconds=5))
            local.put_metric("CacheHitRate", cache_hit_rate(minute), at + timedelta(seconds=5))
            if minute == 0:
                continue
            set_clock(
                frozen(at + timedelta(seconds=20))
            )  # the API and the notifier see simulated time  # the API and notifier see simulated time
            summary = local.tick(at)
            local.pump()
            report_minute(local, timeline, minute, summary, open_alerts, acked, seen_deliveries)
            # The on-call engineer acknowledges the CPU alert two minutes after it fires: just after
            # the manager was paged (level 2, on that minute's tick), long before the director.
            cpu_alert = open_alerts.get("high-cpu-usage")
            if cpu_alert and cpu_alert not in acked and fired_minute(local, cpu_alert, start) <= minute - 2:
                status, body = local.api(
                    "POST",
                    f"/alerts/{cpu_alert}/ack",
                    body={"by": "alice", "note": "looking at the web fleet"},
                )
                acked.add(cpu_alert)
                timeline.say(minute, f"ACK        High CPU Usage by alice via the API -> {status} {body['status']}")
                local.pump()
                report_minute(local, timeline, minute, None, open_alerts, acked, seen_deliveries)
            if not fast:
                time.sleep(0.5)

        ok = final_summary(local, subscription, started)
    set_clock(None)
    return 0 if ok else 1


def frozen(instant: datetime) -> Callable[[], datetime]:
    return lambda: instant


POLICY: dict[str, Any] = {
    "policy_id": "web-oncall",
    "name": "Web on-call",
    "levels": [
        {"targets": [{"channel": "ops-slack"}], "escalate_after_seconds": 120},
        {"targets": [{"channel": "manager-email"}], "escalate_after_seconds": 120},
        {"targets": [{"channel": "director-email"}], "escalate_after_seconds": 600},
    ],
}


SILENCE: dict[str, Any] = {
    "silence_id": "cache-maintenance",
    "matchers": [{"label": "rule_id", "op": "=", "value": "low-cache-hit-rate"}],
    "created_by": "bob",
    "comment": "cache cluster maintenance",
}
SILENCE_MINUTES = 15


def create_silence(local: LocalStack, start: datetime) -> datetime:
    until = start + timedelta(minutes=SILENCE_MINUTES)
    status, body = local.api("POST", "/silences", body={**SILENCE, "ends_at": until.strftime("%Y-%m-%dT%H:%M:%SZ")})
    if status != 201:
        raise SystemExit(f"creating the silence failed: {status} {body}")
    return until


def create_policy(local: LocalStack) -> None:
    for person in ("manager", "director"):
        spec = {
            "channel_id": f"{person}-email",
            "name": person,
            "type": "email",
            "target": {"to": [f"{person}@example.com"]},
        }
        status, body = local.api("POST", "/channels", body=spec)
        if status != 201:
            raise SystemExit(f"creating channel {person}-email failed: {status} {body}")
    status, body = local.api("POST", "/escalation-policies", body=POLICY)
    if status != 201:
        raise SystemExit(f"creating the escalation policy failed: {status} {body}")
    _, rule = local.api("GET", "/rules/high-cpu-usage")
    update = {k: v for k, v in rule.items() if k not in ("created_at", "updated_at")}
    status, body = local.api(
        "PUT", "/rules/high-cpu-usage", body={**update, "escalation_policy_id": POLICY["policy_id"]}
    )
    if status != 200:
        raise SystemExit(f"attaching the escalation policy failed: {status} {body}")


def create_channels(local: LocalStack) -> list[str]:
    specs: list[dict[str, Any]] = [
        {
            "channel_id": "ops-slack",
            "name": "#ops on Slack",
            "type": "slack",
            "target": {"webhook_url": local.receiver.url("/services/T000/B000/ops")},
        },
        {
            "channel_id": "oncall-email",
            "name": "On-call e-mail",
            "type": "email",
            "target": {"to": ["oncall@example.com"]},
            "filters": {"min_severity": "medium"},
        },
    ]
    for spec in specs:
        status, body = local.api("POST", "/channels", body=spec)
        if status != 201:
            raise SystemExit(f"creating channel {spec['channel_id']} failed: {status} {body}")
    return [s["channel_id"] for s in specs]


def attach_channels(local: LocalStack, rule_id: str, channels: list[str]) -> None:
    status, rule = local.api("GET", f"/rules/{rule_id}")
    if status != 200:
        raise SystemExit(f"rule {rule_id} missing: {status} {rule}")
    update = {k: v for k, v in rule.items() if k not in ("created_at", "updated_at")} | {"channels": channels}
    status, body = local.api("PUT", f"/rules/{rule_id}", body=update)
    if status != 200:
        raise SystemExit(f"updating rule {rule_id} failed: {status} {body}")


def fired_minute(local: LocalStack, alert_id: str, start: datetime) -> int:
    _, alert = local.api("GET", f"/alerts/{alert_id}")
    started = datetime.fromisoformat(alert["started_at"].replace("Z", "+00:00"))
    return int((started - start).total_seconds() // 60)


def report_minute(
    local: LocalStack,
    timeline: Timeline,
    minute: int,
    summary: dict[str, Any] | None,
    open_alerts: dict[str, str],
    acked: set[str],
    seen: set[tuple[str, int, str]],
) -> None:
    if summary is not None:
        latest = minute - 1
        values = f"latest: cpu {cpu(latest):5.1f}%  mem {memory(latest):4.1f}%  cache {cache_hit_rate(latest):4.1f}%"
        pending = pending_rules(local)
        timeline.say(
            minute,
            f"tick       {values}   breaches: {summary['breaches']}"
            + (f"   pending: {', '.join(pending)}" if pending else ""),
        )
    _, page = local.api("GET", "/alerts", query={"limit": "50"})
    for alert in sorted(page["items"], key=lambda a: a["started_at"]):
        alert_id = alert["alert_id"]
        if alert["status"] != "resolved" and alert["rule_id"] not in open_alerts:
            open_alerts[alert["rule_id"]] = alert_id
            summary_text = alert["annotations"].get("summary", "")
            timeline.say(minute, f"FIRED      {alert['rule_name']} [{alert['severity']}] {summary_text}")
        if alert["status"] == "resolved" and open_alerts.get(alert["rule_id"]) == alert_id:
            del open_alerts[alert["rule_id"]]
            timeline.say(minute, f"RESOLVED   {alert['rule_name']} ({alert['last_transition']['reason']})")
        _, deliveries = local.api("GET", f"/alerts/{alert_id}/deliveries")
        for delivery in deliveries["items"]:
            key = (alert_id, delivery["seq"], delivery["channel_id"])
            if key in seen:
                continue
            seen.add(key)
            latency = f"{delivery['latency_ms']} ms" if delivery.get("latency_ms") is not None else "-"
            timeline.say(
                minute,
                f"  -> {delivery['event']:<12} {delivery['channel_id']:<13} {delivery['status']:<10} {latency}",
            )


def pending_rules(local: LocalStack) -> list[str]:
    """Series breaching but not yet firing, as "rule k of M breaches"."""
    from alerting.repositories.state import StateRepository

    _, page = local.api("GET", "/rules", query={"limit": "100"})
    needed = {r["rule_id"]: r["breaches_to_fire"] for r in page["items"]}
    states = StateRepository(local.client("dynamodb"), local.stack.refs["StateTable"]).load_all()
    return [
        f"{s.rule_id} {s.history.count('B')} of {needed.get(s.rule_id, '?')} breaches"
        for s in states.values()
        if s.status == "pending"
    ]


def final_summary(local: LocalStack, subscription: str, started: float) -> bool:
    _, page = local.api("GET", "/alerts", query={"limit": "50"})
    alerts = page["items"]
    slack = local.receiver.received()
    emails = local.sent_emails()
    sqs_messages = drain_queue(local, subscription)
    print("\nSummary:")
    print(f"  {'rule':<22}{'status':<11}{'acked by':<10}{'resolution':<12}{'deliveries'}")
    ok = True
    for rule_id in EXPECTED:
        mine = [a for a in alerts if a["rule_id"] == rule_id]
        if not mine:
            print(f"  {rule_id:<22}NOT FIRED")
            ok = False
            continue
        for alert in mine:
            _, deliveries = local.api("GET", f"/alerts/{alert['alert_id']}/deliveries")
            delivered = sorted(
                {(d["channel_id"], d["event"]) for d in deliveries["items"] if d["status"] == "delivered"}
            )
            channels = sorted({c for c, _ in delivered})
            print(
                f"  {rule_id:<22}{alert['status']:<11}{alert.get('acknowledged_by') or '-':<10}"
                f"{alert.get('resolution') or '-':<12}{len(delivered)} to {', '.join(channels)}"
            )
            every_channel = {"alerts-topic", "ops-slack", "oncall-email"} <= set(channels)
            both_ends = {("ops-slack", "firing"), ("ops-slack", "resolved")} <= set(delivered)
            ok = ok and alert["status"] == "resolved" and every_channel and both_ends
            if rule_id == "low-cache-hit-rate":  # held by the silence, announced when it ended
                silenced = [d for d in deliveries["items"] if d.get("silence_id") == SILENCE["silence_id"]]
                print(f"  {'':<22}{len(silenced)} deliveries suppressed by the silence, then announced at its end")
                ok = ok and bool(silenced) and ("ops-slack", "firing") in delivered
            if rule_id == "high-cpu-usage":  # paged the manager, stopped by the ack before the director
                escalated = {("manager-email", "escalated"), ("manager-email", "acknowledged")} <= set(delivered)
                escalated = escalated and "director-email" not in channels and alert.get("acknowledged_by") == "alice"
                print(f"  {'':<22}escalated to level {alert['escalation_level']}; the ack stopped it before level 3")
                ok = ok and escalated and alert["escalation_level"] == 2
    _, summary = local.api("GET", "/summary")
    _, health = local.api("GET", "/health")
    print(
        f"\n  Slack messages received: {len(slack)}   e-mails sent (SES): {len(emails)}   "
        f"SNS messages on the subscription: {len(sqs_messages)}"
    )
    print(
        f"  MTTA {summary.get('mtta_seconds')} s   MTTR {summary.get('mttr_seconds')} s   "
        f"health: {health.get('status')}"
    )
    print(
        f"  Done in {time.perf_counter() - started:.1f} s: "
        + ("all expected alerts fired, were delivered and resolved" if ok else "FAILED")
    )
    return ok


def drain_queue(local: LocalStack, url: str) -> list[dict[str, Any]]:
    sqs = local.client("sqs")
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        messages.extend(json.loads(m["Body"]) for m in batch)
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
        )
    return messages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slow", action="store_true", help="pause half a second per simulated minute")
    args = parser.parse_args()
    sys.exit(run(fast=not args.slow))


if __name__ == "__main__":
    main()
