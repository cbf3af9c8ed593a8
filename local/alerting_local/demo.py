"""`make demo`: the whole system on moto, a 30-minute incident played on a simulated clock.

CPU climbs past 85 %, holds, and recovers; the cache hit rate dips below 70 % and recovers.
The default rules fire, the notifier delivers to Slack (a local receiver), e-mail (SES in moto)
and the SNS topic (an SQS subscription). The CPU rule has an escalation policy: nobody
acknowledges within two minutes, so whoever the on-call schedule names is paged by SMS
(level 2); they acknowledge through the API, which stops the escalation before the director
(level 3) hears of it. A maintenance silence covers the cache rule until minute 15: its firing
is recorded as suppressed, then announced when the silence ends. A queue backlog flaps: its
third start in ten minutes is announced as flapping, then it is quiet until it settles. Memory
runs high inside the nightly-batch mute window (recorded, not notified). A region goes down:
its critical alert inhibits the error-rate alert of that region. Two live dashboards watch
over WebSocket (one for everything, one for critical alerts only) and receive every transition
their filter matches. An existing CloudWatch alarm (moto's, its state set as `aws cloudwatch
set-alarm-state` sets it) pages the on-call person through a route and the escalation policy,
and resolves on OK; a backup job's heartbeat stops pinging, pages, and its next ping resolves
it. Then the CPU rule is backtested over the scenario (it gives the alert the
evaluator raised), and "what if its threshold were 80?" prints what the change adds. A monitor
that speaks PagerDuty's Events API pages the payments team through a route, and resolves; so does
Prometheus (Debian's binary, if installed), through the Alertmanager API. A checkout alert is
mailed with an acknowledge link, which acknowledges it as the e-mail channel. A storage alert in
#storage on Slack is acknowledged with its button (a click signed as Slack signs). Exits 0
only when each of these happened as described and every alert resolved.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from websockets.sync.client import ClientConnection, connect

from alerting.backtest_cli import render
from alerting.defaults import default_rules, parse_dimensions
from alerting.models.common import iso, set_clock
from alerting.models.rules import Rule
from alerting_local import prometheus
from alerting_local.demo_ack import acknowledge_from_an_email
from alerting_local.demo_slack import acknowledge_from_slack
from alerting_local.demo_sources import OtherSources
from alerting_local.stack import LocalStack
from alerting_local.template import load_template

MINUTES = 30
SHARD_BUDGET = 4
EXPECTED = (
    "high-cpu-usage",
    "low-cache-hit-rate",
    "high-memory-usage",
    "queue-backlog",
    "web-down",
    "web-errors",
    "instance-cpu",
)
INSTANCES = ("i-0a1", "i-0b2", "i-0c3", "i-0d4")
FLEET_PATH = "/services/T000/B000/fleet"  # the grouping Slack channel's stand-in


def cpu(minute: int) -> float:
    return {4: 72.0, 5: 86.0, 6: 91.0, 7: 94.0}.get(minute, 95.0 if 8 <= minute <= 13 else 41.0 + minute % 3)


def cache_hit_rate(minute: int) -> float:
    return 52.0 if 5 <= minute <= 13 else 92.0


def memory(minute: int) -> float:
    return 96.0 if 15 <= minute <= 19 else 61.0 + minute % 4


def queue_depth(minute: int) -> float:
    return 450.0 if minute in (2, 4, 6, 8) else 20.0  # starts and recovers four times in eight minutes


def healthy_hosts(minute: int) -> float:
    return 0.0 if 22 <= minute <= 25 else 3.0


def error_rate(minute: int) -> float:
    return 38.0 if 22 <= minute <= 25 else 0.4


def instance_cpu(instance: str, minute: int) -> float:
    """Two of the four instances of the fleet run hot for a few minutes; one warms up first."""
    if instance == "i-0b2" and 15 <= minute <= 17:
        return 81.0  # the warning level: 75 % and up
    hot = instance in ("i-0b2", "i-0d4") and 18 <= minute <= 21
    return 96.0 if hot else 35.0 + INSTANCES.index(instance)


@dataclass
class Timeline:
    start: datetime
    lines: list[str] = field(default_factory=list)

    def say(self, minute: int, text: str) -> None:
        stamp = (self.start + timedelta(minutes=minute)).strftime("%H:%M")
        line = f"  {stamp}  {text}"
        self.lines.append(line)
        print(line, flush=True)


def run(fast: bool = True, observe: Callable[[LocalStack], None] | None = None) -> int:
    """Play the scenario; ``observe`` sees the stack before it stops (tests read its call log)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    started = time.perf_counter()
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=MINUTES)
    # A shard budget of a few series makes every tick fan out to the worker function, so the
    # whole scenario runs through the path a 100k-rule deployment takes.
    with LocalStack(overrides={"LogLevel": "ERROR", "ShardBudgetSeries": str(SHARD_BUDGET)}) as local:
        timeline = Timeline(start)
        print(f"Local stack: moto on {local.server.endpoint}, Slack stand-in on {local.receiver.url('/')}")
        print(f"Default rules seeded by the custom resource: {local.seed_default_rules()}")
        subscription = local.subscribe_queue("demo-subscriber")
        channels = create_channels(local)
        create_rules(local)
        for rule_id in EXPECTED:
            attach_channels(local, rule_id, channels + (["fleet-slack"] if rule_id == "instance-cpu" else []))
        on_call = create_policy(local, start)
        set_clock(frozen(start))
        silence_until = create_silence(local, start)
        set_clock(None)
        window = create_quiet_times(local, start)
        others = OtherSources(local)
        set_clock(frozen(start))
        others.set_up()
        set_clock(None)
        print(f"Channels: {', '.join(channels)} (+ the SNS topic, which hears every alert announced)")
        print(
            f"Escalation policy {POLICY['policy_id']!r} on high-cpu-usage: "
            + " -> ".join(
                f"{target_name(lvl['targets'][0])} ({lvl['escalate_after_seconds'] // 60} min)"
                for lvl in POLICY["levels"]
            )
        )
        print(f"On call in schedule {SCHEDULE['schedule_id']!r} now: {on_call} (SMS)")
        print(
            f"Silence {SILENCE['silence_id']!r}: low-cache-hit-rate not notified until "
            f"{silence_until:%H:%M} ({SILENCE['comment']})"
        )
        print(f"Mute window {window}")
        print(f"Guard rails on silences: {guard_rails(local, start)}")
        print("Inhibition 'region-down': a critical alert of a region keeps its other alerts quiet")
        print("Flapping on queue-backlog: the 3rd start within 10 minutes is announced once, then quiet")
        dashboards = {
            "everything": LiveView(local.live.url),
            "critical": LiveView(f"{local.live.url}?severity=critical"),
        }
        print(f"Live dashboards on {local.live.url}: one for everything, one with ?severity=critical")
        print(f"Evaluator: ticks over {SHARD_BUDGET} series fan out to the worker function (ShardBudgetSeries)\n")
        print(f"Timeline (simulated clock, {MINUTES} minutes):")

        watch = Watch()
        ticks: list[dict[str, Any]] = []
        for minute in range(MINUTES + 1):
            at = start + timedelta(minutes=minute)
            local.put_metric("CPUUtilization", cpu(minute), at + timedelta(seconds=5))
            local.put_metric("MemoryUtilization", memory(minute), at + timedelta(seconds=5))
            local.put_metric("CacheHitRate", cache_hit_rate(minute), at + timedelta(seconds=5))
            for metric, value in (
                ("QueueDepth", queue_depth(minute)),
                ("HealthyHostCount", healthy_hosts(minute)),
                ("Http5xxRate", error_rate(minute)),
            ):
                local.put_metric(metric, value, at + timedelta(seconds=5))
            for instance in INSTANCES:
                local.put_metric(
                    "CPUUtilization",
                    instance_cpu(instance, minute),
                    at + timedelta(seconds=5),
                    dimensions={"InstanceId": instance},
                    namespace="AWS/EC2",
                )
            if minute == 0:
                continue
            set_clock(
                frozen(at + timedelta(seconds=20))
            )  # the API and the notifier see simulated time  # the API and notifier see simulated time
            others.before_tick(minute)
            summary = local.tick(at)
            ticks.append(summary)
            local.pump()
            report_minute(local, timeline, minute, summary, watch)
            # The on-call engineer acknowledges the CPU alert two minutes after it fires: just after
            # the SMS page (level 2, on that minute's tick), long before the director.
            cpu_alert = watch.open_alerts.get("high-cpu-usage")
            if cpu_alert and cpu_alert not in watch.acked and fired_minute(local, cpu_alert, start) <= minute - 2:
                person = on_call.removesuffix("-sms")
                status, body = local.api(
                    "POST",
                    f"/alerts/{cpu_alert}/ack",
                    body={"by": person, "note": "looking at the web fleet"},
                )
                watch.acked.add(cpu_alert)
                timeline.say(minute, f"ACK        High CPU Usage by {person} via the API -> {status} {body['status']}")
                local.pump()
                report_minute(local, timeline, minute, None, watch)
            if not fast:
                time.sleep(0.5)

        paged = page_through_a_route(local, start + timedelta(minutes=MINUTES))
        paged = prometheus.page_through_routes(local, "payments-slack") and paged
        paged = acknowledge_from_an_email(local, start + timedelta(minutes=MINUTES)) and paged
        paged = acknowledge_from_slack(local, start + timedelta(minutes=MINUTES)) and paged
        backtested = what_if(local, start)
        ok = final_summary(local, subscription, started, on_call, dashboards, ticks) and backtested and paged
        ok = others.check() and ok
        if observe is not None:
            observe(local)
    set_clock(None)
    return 0 if ok else 1


PAYMENTS_PATH = "/services/T000/B000/payments"  # the payments team's Slack stand-in


def page_through_a_route(local: LocalStack, at: datetime) -> bool:
    """An Events API client: a monitor that would page PagerDuty (Events API v2), pointed here,
    one plain HTTP POST per event. Its integration's label team=payments matches a route to the
    payments team's Slack: the trigger pages them, the resolve tells them it is over."""
    # Imported once the stack has set the functions' environment: the ingest API's logger takes
    # its level (LogLevel) when its module is imported.
    from alerting_local.serve import Runtime, web_front

    create(
        local,
        "/channels",
        {
            "channel_id": "payments-slack",
            "name": "#payments on Slack",
            "type": "slack",
            "target": {"webhook_url": local.receiver.url(PAYMENTS_PATH)},
        },
    )
    create(
        local,
        "/routes",
        {
            "route_id": "payments",
            "name": "Payments team",
            "receiver": {"channels": ["payments-slack"]},
            "matchers": [{"label": "team", "value": "payments"}],
        },
    )
    key = create(
        local, "/integrations", {"name": "Payments monitor", "type": "events", "labels": {"team": "payments"}}
    )["key"]
    event = {"routing_key": key, "dedup_key": "checkout/latency"}
    trigger = {"summary": "Checkout p99 latency over 2 s", "source": "checkout.example.com", "severity": "error"}
    print("\nEvents API: a monitor pages through POST /v2/enqueue (PagerDuty's Events API v2), team=payments")
    with web_front(Runtime(local), quiet=True) as url:
        for offset, action in ((25, "trigger"), (55, "resolve")):
            set_clock(frozen(at + timedelta(seconds=offset)))
            body = event | {"event_action": action} | ({"payload": trigger} if action == "trigger" else {})
            sent = urllib.request.Request(
                f"{url}v2/enqueue", json.dumps(body).encode(), {"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(sent, timeout=10) as response:
                print(f"  {action:<8} {body['dedup_key']} -> {response.status} {json.load(response)['message']}")
            local.pump()
    _, page = local.api("GET", "/alerts", query={"source": "events"})
    (alert,) = page["items"]
    delivered = events_to("payments-slack", local.api("GET", f"/alerts/{alert['alert_id']}/deliveries")[1]["items"])
    print(f"  route 'payments' -> #payments on Slack: {', '.join(delivered)}; the alert is {alert['status']}")
    return delivered == ["firing", "resolved"] and alert["status"] == "resolved"


def what_if(local: LocalStack, start: datetime) -> bool:
    """Backtest the CPU rule over the scenario: as saved it gives the alert the evaluator raised;
    "what if the threshold were 80?" is the same rule edited, compared with it."""
    window = {"start": iso(start), "end": iso(start + timedelta(minutes=MINUTES))}
    status, saved = local.api("POST", "/rules/high-cpu-usage/backtest", body=window)
    _, real = local.api("GET", "/alerts", query={"rule_id": "high-cpu-usage", "status": "resolved"})
    spans = [(a["started_at"], a["resolved_at"]) for a in saved.get("alerts", [])] if status == 200 else []
    same = status == 200 and spans == [(a["started_at"], a["resolved_at"]) for a in real["items"]]
    print(
        f"\nBacktest (POST /rules/high-cpu-usage/backtest) of the {MINUTES} minutes just played: "
        + (f"{len(spans)} alert(s), {', '.join(f'{a[11:16]} -> {b[11:16]}' for a, b in spans)}" if spans else "none")
        + (", as the evaluator raised them" if same else f", NOT what the evaluator raised: {status} {saved}")
    )
    _, rule = local.api("GET", "/rules/high-cpu-usage")
    edited = {k: v for k, v in rule.items() if k not in ("version", "created_at", "updated_at")}
    edited["conditions"][0]["threshold"] = 80.0
    status, result = local.api("POST", "/rules/backtest", body={"rule": edited, **window})
    print("What if the CPU threshold were 80? (POST /rules/backtest: the edit against the saved rule)")
    if status != 200:
        print(f"  FAILED: {status} {result}")
        return False
    print("\n".join(render(result).splitlines()[1:]))
    changed = result["comparison"] is not None and bool(result["comparison"]["added_spans"])
    return same and changed


def frozen(instant: datetime) -> Callable[[], datetime]:
    return lambda: instant


PEOPLE = {"alice-sms": "+4915111111111", "bob-sms": "+4915122222222"}
SCHEDULE: dict[str, Any] = {
    "schedule_id": "web-primary",
    "name": "Web primary",
    "time_zone": "Europe/Berlin",
    "rotation": {"participants": list(PEOPLE), "starts_at": "2026-12-07T09:00:00", "shift": {"unit": "days"}},
}
POLICY: dict[str, Any] = {
    "policy_id": "web-oncall",
    "name": "Web on-call",
    "levels": [
        {"targets": [{"channel": "ops-slack"}], "escalate_after_seconds": 120},
        {"targets": [{"schedule": "web-primary"}], "escalate_after_seconds": 120},
        {"targets": [{"channel": "director-email"}], "escalate_after_seconds": 600},
    ],
}


def target_name(target: dict[str, str]) -> str:
    return target.get("channel") or f"schedule {target['schedule']}"


def metric(name: str) -> dict[str, Any]:
    return {"namespace": "App/Service", "name": name, "dimensions": {"Service": "web"}, "statistic": "Average"}


# The rules the scenario adds to the defaults: a flapping queue, and a region outage with the
# error-rate alert it explains (the inhibition's target).
RULES: list[dict[str, Any]] = [
    {
        "rule_id": "instance-cpu",
        "name": "Instance CPU",
        "severity": "critical",
        "warning_severity": "medium",
        "conditions": [
            {
                "metric": {
                    "namespace": "AWS/EC2",
                    "name": "CPUUtilization",
                    "dimensions": {"InstanceId": "*"},  # every instance: one alert per series
                    "statistic": "Average",
                },
                "operator": "gte",
                "threshold": 90,
                "warning_threshold": 75,
            }
        ],
        "window_seconds": 60,
        "annotations": {"summary": "{{ series.InstanceId }} CPU at {{ '%.0f' | format(value) }}%"},
    },
    {
        "rule_id": "queue-backlog",
        "name": "Queue Backlog",
        "severity": "medium",
        "conditions": [{"metric": metric("QueueDepth"), "operator": "gt", "threshold": 100}],
        "window_seconds": 60,
        "flapping": {"max_starts": 3, "within_seconds": 600},
    },
    {
        "rule_id": "web-down",
        "name": "Web Down in eu-west-1",
        "severity": "critical",
        "conditions": [{"metric": metric("HealthyHostCount"), "operator": "lt", "threshold": 1}],
        "window_seconds": 60,
        "labels": {"region": "eu-west-1"},
    },
    {
        "rule_id": "web-errors",
        "name": "Web Error Rate",
        "severity": "high",
        "conditions": [{"metric": metric("Http5xxRate"), "operator": "gte", "threshold": 5}],
        "window_seconds": 60,
        "labels": {"region": "eu-west-1"},
    },
]


def demo_rules() -> list[Rule]:
    """Every rule the scenario runs: the defaults as the template seeds them, and its own. Their
    rule tests (local/alerting_local/rule_tests/) replay the scenario's datapoints against them."""
    parameters = load_template()["Parameters"]
    namespace, dimensions = (parameters[f"DefaultRules{p}"]["Default"] for p in ("Namespace", "Dimensions"))
    defaults = default_rules(namespace, parse_dimensions(dimensions))
    return defaults + [Rule.model_validate(rule) for rule in RULES]


INHIBITION: dict[str, Any] = {
    "inhibition_id": "region-down",
    # the source must carry a region: a label neither alert has would be equal ("" = "")
    "source": [{"label": "severity", "value": "critical"}, {"label": "region", "op": "!=", "value": ""}],
    "target": [{"label": "severity", "op": "!=", "value": "critical"}],
    "equal": ["region"],
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


def guard_rails(local: LocalStack, start: datetime) -> str:
    """What the API refuses: a silence that would match every alert lacking a label, and a
    regex RE2 cannot run in linear time (each a 422 naming the field, nothing stored)."""
    ends = (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    answers = []
    for matcher in ({"label": "team", "op": "=~", "value": ".*"}, {"label": "team", "op": "=~", "value": "(a)\\1"}):
        body = {"matchers": [matcher], "ends_at": ends, "created_by": "demo"}
        status, reply = local.api("POST", "/silences", body=body)
        field = reply["errors"][0]["field"] if status == 422 else "-"
        answers.append(f'team=~"{matcher["value"]}" -> {status} ({field})')
    return "; ".join(answers)


def create(local: LocalStack, path: str, body: dict[str, Any]) -> dict[str, Any]:
    status, reply = local.api("POST", path, body=body)
    if status != 201:
        raise SystemExit(f"POST {path} failed: {status} {reply}")
    return dict(reply)


def create_rules(local: LocalStack) -> None:
    for rule in RULES:
        create(local, "/rules", rule)


def create_policy(local: LocalStack, start: datetime) -> str:
    """The SMS channels, their schedule, the director's e-mail and the policy on the CPU rule;
    returns who is on call when the incident starts."""
    for person, number in PEOPLE.items():
        create(
            local,
            "/channels",
            {"channel_id": person, "name": person, "type": "sms", "target": {"phone_number": number}},
        )
    create(local, "/schedules", SCHEDULE)
    create(
        local,
        "/channels",
        {
            "channel_id": "director-email",
            "name": "director",
            "type": "email",
            "target": {"to": ["director@example.com"]},
        },
    )
    create(local, "/escalation-policies", POLICY)
    _, rule = local.api("GET", "/rules/high-cpu-usage")
    update = {k: v for k, v in rule.items() if k not in ("created_at", "updated_at")}
    status, body = local.api(
        "PUT", "/rules/high-cpu-usage", body={**update, "escalation_policy_id": POLICY["policy_id"]}
    )
    if status != 200:
        raise SystemExit(f"attaching the escalation policy failed: {status} {body}")
    _, on_call = local.api("GET", "/schedules/web-primary/oncall", query={"at": start.strftime("%Y-%m-%dT%H:%M:%SZ")})
    return str(on_call["participant"])


def create_quiet_times(local: LocalStack, start: datetime) -> str:
    """A mute window over the memory rule for the second half of the incident (local time in New
    York, so the demo's wall clock decides its weekday), and the region inhibition."""
    zone = ZoneInfo("America/New_York")
    begin, end = ((start + timedelta(minutes=m)).astimezone(zone) for m in (14, MINUTES + 5))
    window = {
        "mute_window_id": "nightly-batch",
        "name": "Nightly batch",
        "time_zone": "America/New_York",
        "matchers": [{"label": "rule_id", "value": "high-memory-usage"}],
        "times": [{"weekdays": [begin.strftime("%a").lower()], "start": f"{begin:%H:%M}", "end": f"{end:%H:%M}"}],
    }
    create(local, "/mute-windows", window)
    create(local, "/inhibitions", INHIBITION)
    return f"'nightly-batch': high-memory-usage quiet {begin:%a %H:%M}-{end:%H:%M} New York time"


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
        create(local, "/channels", spec)
    # The fleet's own channel groups by rule: what breaks together arrives as one message.
    fleet = {
        "channel_id": "fleet-slack",
        "name": "#fleet on Slack",
        "type": "slack",
        "target": {"webhook_url": local.receiver.url(FLEET_PATH)},
        "group_by": ["rule_id"],
        "group_wait_seconds": 30,
    }
    create(local, "/channels", fleet)
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


@dataclass
class Watch:
    """What the timeline has shown so far."""

    open_alerts: dict[str, str] = field(default_factory=dict)  # rule id → its open alert
    acked: set[str] = field(default_factory=set)
    printed: set[tuple[str, int, str]] = field(default_factory=set)  # (alert, seq, channel or "")
    settled: dict[str, int] = field(default_factory=dict)  # alert → version whose deliveries all settled
    group_messages: int = 0  # grouped Slack messages shown so far


def report_minute(
    local: LocalStack, timeline: Timeline, minute: int, summary: dict[str, Any] | None, watch: Watch
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
    for message in local.receiver.received(FLEET_PATH)[watch.group_messages :]:
        watch.group_messages += 1
        timeline.say(minute, f"GROUPED    #fleet on Slack, one message: {json.loads(message.body)['text']}")
    _, page = local.api("GET", "/alerts", query={"limit": "50"})
    for alert in sorted(page["items"], key=lambda a: a["started_at"]):
        alert_id = alert["alert_id"]
        fired, resolved = (alert_id, 0, "fired"), (alert_id, 0, "resolved")
        if fired not in watch.printed:
            watch.printed.add(fired)
            watch.open_alerts[alert["rule_id"]] = alert_id
            summary_text = alert["annotations"].get("summary", "")
            timeline.say(minute, f"FIRED      {alert['rule_name']} [{alert['severity']}] {summary_text}")
        if alert["status"] == "resolved" and resolved not in watch.printed:
            watch.printed.add(resolved)
            if watch.open_alerts.get(alert["rule_id"]) == alert_id:
                del watch.open_alerts[alert["rule_id"]]
            timeline.say(minute, f"RESOLVED   {alert['rule_name']} ({alert['last_transition']['reason']})")
        last = alert["last_transition"]
        told = (alert_id, last["seq"], "")
        if told not in watch.printed and (last["seq"] > 1 or last["event"] == "flapping"):
            watch.printed.add(told)
            shown = ("escalated", "flapping", "firing", "unacknowledged", "repeat", "severity_changed")
            if last["event"] in shown or last["settled"]:
                label = "SETTLED" if last["settled"] else last["event"].upper()
                timeline.say(minute, f"{label:<10} {alert['rule_name']} ({last['reason']})")
        if watch.settled.get(alert_id) == alert["version"]:
            continue  # nothing new to show: no transition since, every delivery settled
        _, deliveries = local.api("GET", f"/alerts/{alert_id}/deliveries")
        if all(d["status"] in ("delivered", "failed", "suppressed") for d in deliveries["items"]):
            watch.settled[alert_id] = alert["version"]
        for delivery in deliveries["items"]:
            key = (alert_id, delivery["seq"], delivery["channel_id"])
            if key in watch.printed:
                continue
            watch.printed.add(key)
            latency = f"{delivery['latency_ms']} ms" if delivery.get("latency_ms") is not None else "-"
            why = f"  ({delivery['error']})" if delivery["status"] == "suppressed" and delivery.get("error") else ""
            timeline.say(
                minute,
                f"  -> {delivery['event']:<14} {delivery['channel_id']:<14} {delivery['status']:<10} {latency}{why}",
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


def final_summary(
    local: LocalStack,
    subscription: str,
    started: float,
    on_call: str,
    dashboards: dict[str, LiveView],
    ticks: list[dict[str, Any]],
) -> bool:
    _, page = local.api("GET", "/alerts", query={"limit": "50"})
    alerts = page["items"]
    slack = local.receiver.received()
    emails = local.sent_emails()
    sms = local.sent_sms()
    sqs_messages = drain_queue(local, subscription)
    seen = Seen(
        alerts,
        {a["alert_id"]: local.api("GET", f"/alerts/{a['alert_id']}/deliveries")[1]["items"] for a in alerts},
        on_call,
    )
    print("\nSummary:")
    print(f"  {'rule':<22}{'alerts':<8}{'status':<11}{'acked by':<10}{'sent':<6}{'held back':<11}{'to'}")
    ok = True
    for rule_id in EXPECTED:
        mine = seen.of(rule_id)
        deliveries = [d for a in mine for d in seen.deliveries[a["alert_id"]]]
        sent = [d for d in deliveries if d["status"] == "delivered"]
        held = [d for d in deliveries if d["status"] == "suppressed"]
        statuses = ",".join(sorted({a["status"] for a in mine})) or "NOT FIRED"
        acked = ",".join(sorted({a["acknowledged_by"] for a in mine if a.get("acknowledged_by")})) or "-"
        channels = ", ".join(sorted({d["channel_id"] for d in sent})) or "-"
        print(f"  {rule_id:<22}{len(mine):<8}{statuses:<11}{acked:<10}{len(sent):<6}{len(held):<11}{channels}")
        note, passed = CHECKS[rule_id](seen, mine, deliveries)
        print(f"  {'':<22}{note}")
        ok = ok and bool(mine) and passed and statuses == "resolved"
    paged = [number for number, text in sms if "High CPU" in text]
    ok = ok and paged == [PEOPLE[on_call]] * 3  # paged, then the acknowledgement and the resolution
    _, summary = local.api("GET", "/summary")
    _, health = local.api("GET", "/health")
    print(
        f"\n  Slack messages received: {len(slack)}   e-mails sent (SES): {len(emails)}   "
        f"SMS sent: {len(sms)}   SNS messages on the subscription: {len(sqs_messages)}"
    )
    for number, text in sms:
        print(f"  SMS to {number}: {text}")
    print(
        f"  MTTA {summary.get('mtta_seconds')} s   MTTR {summary.get('mttr_seconds')} s   "
        f"health: {health.get('status')}"
    )
    ok = check_live(local, dashboards) and ok
    fanned = [t for t in ticks if t["shards"]]
    print(
        f"  Fan-out: {len(fanned)} of {len(ticks)} ticks split into "
        f"{min((t['shards'] for t in fanned), default=0)}-{max((t['shards'] for t in fanned), default=0)} shards, "
        f"every shard reported: {all(t['shards_reported'] == t['shards'] for t in fanned)}"
    )
    ok = ok and bool(fanned) and all(t["shards_reported"] == t["shards"] for t in fanned)
    cost = summary["cost"]
    print(
        f"  Cost of these rules, every minute: ${cost['total_usd']:.2f}/month at list price "
        f"(${cost['after_free_tier_usd']:.2f} after the free tier; prices of {cost['prices_as_of']}), "
        f"native CloudWatch alarms ${cost['native_alarms_usd']:.2f}"
    )
    print(
        f"  Done in {time.perf_counter() - started:.1f} s: "
        + ("all expected alerts fired, were delivered or held back as configured, and resolved" if ok else "FAILED")
    )
    return ok


class LiveView:
    """A dashboard's WebSocket connection: every message the broadcaster pushes to it."""

    def __init__(self, url: str) -> None:
        self.messages: list[dict[str, Any]] = []
        self._connected = threading.Event()
        self._thread = threading.Thread(target=self._listen, args=(url,), daemon=True)
        self._thread.start()
        if not self._connected.wait(10):
            raise RuntimeError(f"could not connect to {url}")

    def _listen(self, url: str) -> None:
        with connect(url) as socket:
            self.socket: ClientConnection = socket
            self._connected.set()
            for message in socket:
                self.messages.append(json.loads(message))

    def close(self) -> None:
        self.socket.close()
        self._thread.join(timeout=5)


def check_live(local: LocalStack, dashboards: dict[str, LiveView]) -> bool:
    """The unfiltered dashboard heard every transition (an alert's version counts them); the
    critical one exactly those that were critical when they happened."""
    _, page = local.api("GET", "/alerts", query={"limit": "100"})
    transitions = sum(a["version"] for a in page["items"])
    everything, critical = dashboards["everything"], dashboards["critical"]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(everything.messages) < transitions:
        time.sleep(0.05)
    time.sleep(0.2)  # the critical dashboard's last messages, sent in the same batches
    for view in dashboards.values():
        view.close()
    ids = [m["delivery_id"] for m in everything.messages]
    critical_ids = [m["delivery_id"] for m in everything.messages if m["alert"]["severity"] == "critical"]
    print(
        f"  Live view: {len(ids)} of {transitions} transitions pushed to the dashboard watching everything, "
        f"{len(critical.messages)} to the one watching ?severity=critical"
    )
    return (
        sorted(ids) == sorted(set(ids))
        and len(ids) == transitions
        and critical_ids == [m["delivery_id"] for m in critical.messages]
    )


Record = dict[str, Any]


@dataclass(frozen=True)
class Seen:
    """What the scenario left behind: every alert, its deliveries, and who was on call."""

    alerts: list[Record]
    deliveries: dict[str, list[Record]]
    on_call: str

    def of(self, rule_id: str) -> list[Record]:
        return sorted((a for a in self.alerts if a["rule_id"] == rule_id), key=lambda a: a["started_at"])


def events_to(channel_id: str, deliveries: list[Record]) -> list[str]:
    return [d["event"] for d in deliveries if d["channel_id"] == channel_id and d["status"] == "delivered"]


def check_cpu(seen: Seen, alerts: list[Record], deliveries: list[Record]) -> tuple[str, bool]:
    """Paged the one on call by SMS; the ack stopped it before the director."""
    (alert,) = alerts
    paged = events_to(seen.on_call, deliveries) == ["escalated", "acknowledged", "resolved"]
    stopped = not events_to("director-email", deliveries) and alert["escalation_level"] == 2
    note = f"escalated to level {alert['escalation_level']}: {seen.on_call} paged by SMS; the ack stopped it there"
    return note, paged and stopped and events_to("ops-slack", deliveries) == ["firing", "acknowledged", "resolved"]


def check_cache(_: Seen, __: list[Record], deliveries: list[Record]) -> tuple[str, bool]:
    silenced = [d for d in deliveries if d.get("silence_id") == SILENCE["silence_id"]]
    note = f"{len(silenced)} deliveries suppressed by the silence, then the firing announced at its end"
    return note, bool(silenced) and events_to("ops-slack", deliveries) == ["firing", "resolved"]


def check_memory(_: Seen, __: list[Record], deliveries: list[Record]) -> tuple[str, bool]:
    muted = [d for d in deliveries if d.get("mute_window_id") == "nightly-batch"]
    note = f"{len(muted)} deliveries muted by the nightly-batch window, none sent"
    return note, bool(muted) and not any(d["status"] == "delivered" for d in deliveries)


def check_queue(_: Seen, alerts: list[Record], deliveries: list[Record]) -> tuple[str, bool]:
    """Two starts announced, the third as flapping, then quiet; one announcement where it settled."""
    events = events_to("ops-slack", deliveries)
    quiet = [d for d in deliveries if d.get("flapping")]
    note = f"{len(alerts)} starts; sent to ops-slack: {', '.join(events)}; {len(quiet)} held back while flapping"
    return note, events == ["firing", "resolved", "firing", "resolved", "flapping", "resolved"] and bool(quiet)


def check_inhibited(seen: Seen, _: list[Record], deliveries: list[Record]) -> tuple[str, bool]:
    sources = {a["alert_id"] for a in seen.of("web-down")}
    held = [d for d in deliveries if d.get("inhibited_by") in sources]
    note = f"{len(held)} deliveries inhibited by the web-down alert; its resolution told nobody"
    return note, bool(held) and not any(d["status"] == "delivered" for d in deliveries)


def check_fleet(_: Seen, alerts: list[Record], deliveries: list[Record]) -> tuple[str, bool]:
    """One rule over four instances: the two that ran hot each had their own alert; the one that
    warmed up first was a warning that became critical in place."""
    hot = sorted(a["series"].get("InstanceId", "?") for a in alerts)
    fired = sum(1 for d in deliveries if d["channel_id"] == "ops-slack" and d["event"] == "firing")
    rose = [d for d in deliveries if d["channel_id"] == "ops-slack" and d["event"] == "severity_changed"]
    grouped = [d for d in deliveries if d["channel_id"] == "fleet-slack" and d["status"] == "delivered"]
    messages = len({d["group_id"] for d in grouped})
    note = (
        f"one rule, {len(INSTANCES)} instances: alerts for {', '.join(hot)}; i-0b2 rose from warning to critical; "
        f"#fleet got {len(grouped)} transitions in {messages} grouped messages"
    )
    return note, hot == ["i-0b2", "i-0d4"] and fired == 2 and len(rose) == 1 and messages < len(grouped)


def check_down(_: Seen, __: list[Record], deliveries: list[Record]) -> tuple[str, bool]:
    return "delivered: the critical alert is the one people need", events_to("ops-slack", deliveries) == [
        "firing",
        "resolved",
    ]


CHECKS: dict[str, Callable[[Seen, list[Record], list[Record]], tuple[str, bool]]] = {
    "high-cpu-usage": check_cpu,
    "low-cache-hit-rate": check_cache,
    "high-memory-usage": check_memory,
    "queue-backlog": check_queue,
    "web-down": check_down,
    "web-errors": check_inhibited,
    "instance-cpu": check_fleet,
}


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
