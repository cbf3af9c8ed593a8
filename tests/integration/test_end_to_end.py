"""The whole path on the local stack (moto's server, resources from the template, real handlers):
fired → delivered to Slack, SNS (via SQS) and SES → acknowledged via the API → resolved →
resolution delivered."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from alerting_local.apigw import LOCAL_USER
from alerting_local.receiver import Reply
from alerting_local.stack import LocalStack

START = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)


@pytest.fixture
def local() -> Iterator[LocalStack]:
    with LocalStack(overrides={"LogLevel": "ERROR"}) as stack:
        yield stack


def topic_events(local: LocalStack, url: str) -> list[str]:
    messages = local.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"])["event"] for m in messages]


def minute(local: LocalStack, n: int, cpu: float) -> dict:
    local.put_metric("CPUUtilization", cpu, START + timedelta(minutes=n, seconds=5))
    summary = local.tick(START + timedelta(minutes=n + 1))
    local.pump()
    return summary


def test_fired_delivered_acknowledged_resolved_and_delivered_again(local: LocalStack):
    # Given the default rules, a Slack and an e-mail channel on the CPU rule, and a topic subscriber
    assert local.seed_default_rules() == "SUCCESS"
    queue = local.subscribe_queue("e2e-subscriber")
    for spec in (
        {
            "channel_id": "ops-slack",
            "name": "#ops",
            "type": "slack",
            "target": {"webhook_url": local.receiver.url("/services/ops")},
        },
        {"channel_id": "oncall-email", "name": "On call", "type": "email", "target": {"to": ["oncall@example.com"]}},
    ):
        status, body = local.api("POST", "/channels", body=spec)
        assert status == 201, body
        assert "services/ops" not in json.dumps(body)  # the webhook URL is a secret
    status, rule = local.api("GET", "/rules/high-cpu-usage")
    assert status == 200
    update = {k: v for k, v in rule.items() if k not in ("created_at", "updated_at")}
    status, rule = local.api("PUT", "/rules/high-cpu-usage", body={**update, "channels": ["ops-slack", "oncall-email"]})
    assert status == 200, rule

    # When CPU breaches for long enough (5-minute average ≥ 85 on two consecutive ticks)
    fired = [minute(local, n, 97.0)["alerts_fired"] for n in range(6)]
    assert sum(fired) == 1
    status, page = local.api("GET", "/alerts", query={"status": "firing"})
    (alert,) = page["items"]

    # Then the firing transition reached all three destinations
    slack = local.receiver.received("/services/ops")
    assert len(slack) == 1 and "FIRING" in slack[0].json["text"]
    assert len(local.sent_emails()) == 1 and "[FIRING][HIGH] High CPU Usage" in local.sent_emails()[0].subject
    assert topic_events(local, queue) == ["firing"]

    # When the on-call engineer acknowledges it through the API
    status, acked = local.api("POST", f"/alerts/{alert['alert_id']}/ack", body={"by": "alice", "note": "on it"})
    assert (status, acked["status"], acked["acknowledged_by"]) == (200, "acknowledged", LOCAL_USER)
    local.pump()
    assert len(local.receiver.received("/services/ops")) == 2

    # And CPU recovers until the 5-minute average is below the threshold
    for n in range(6, 12):
        minute(local, n, 20.0)

    # Then the alert auto-resolved and the resolution was delivered everywhere
    status, final = local.api("GET", f"/alerts/{alert['alert_id']}")
    assert (final["status"], final["resolution"], final["acknowledged_by"]) == ("resolved", "auto", LOCAL_USER)
    status, history = local.api("GET", f"/alerts/{alert['alert_id']}/history")
    assert [t["event"] for t in history["items"]] == ["firing", "acknowledged", "resolved"]
    status, deliveries = local.api("GET", f"/alerts/{alert['alert_id']}/deliveries")
    delivered = {(d["event"], d["channel_id"]) for d in deliveries["items"] if d["status"] == "delivered"}
    assert delivered == {
        (event, channel)
        for event in ("firing", "acknowledged", "resolved")
        for channel in ("alerts-topic", "ops-slack", "oncall-email")
    }
    assert "RESOLVED" in local.receiver.received("/services/ops")[-1].json["text"]
    assert topic_events(local, queue) == ["acknowledged", "resolved"]
    assert len(local.sent_emails()) == 3


def test_a_lost_transaction_race_does_not_stop_deliveries(local: LocalStack):
    # Given the CPU rule on a Slack channel, and a firing alert
    local.seed_default_rules()
    local.api(
        "POST",
        "/channels",
        body={
            "channel_id": "ops",
            "name": "#ops",
            "type": "slack",
            "target": {"webhook_url": local.receiver.url("/ops")},
        },
    )
    _, rule = local.api("GET", "/rules/high-cpu-usage")
    update = {k: v for k, v in rule.items() if k not in ("created_at", "updated_at")}
    local.api("PUT", "/rules/high-cpu-usage", body={**update, "channels": ["ops"]})
    for n in range(6):
        minute(local, n, 97)
    _, page = local.api("GET", "/alerts", query={"status": "firing"})
    (alert,) = page["items"]

    # When a transaction on the alerts table loses a race (as an ack racing a tick does): moto
    # rolls it back by swapping in a copy of the table, and its stream shard with it
    dynamodb = local.client("dynamodb")
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": local.stack.refs["AlertsTable"],
                        "Key": {"alert_id": {"S": alert["alert_id"]}},
                        "UpdateExpression": "SET note = :n",
                        "ConditionExpression": "version = :stale",
                        "ExpressionAttributeValues": {":n": {"S": "x"}, ":stale": {"N": "0"}},
                    }
                }
            ]
        )

    # Then what happens next is still delivered: the acknowledgement, then the resolution
    assert local.api("POST", f"/alerts/{alert['alert_id']}/ack", body={"by": "alice"})[0] == 200
    local.pump()
    for n in range(6, 12):
        minute(local, n, 10)
    events = [r.json["text"].split("]")[0] for r in local.receiver.received("/ops")]
    assert events == ["[FIRING", "[ACKNOWLEDGED", "[RESOLVED"]


def test_a_delayed_retry_round_comes_due_on_the_simulated_clock(local: LocalStack):
    from alerting.models.common import set_clock

    # Given the CPU rule on a webhook that fails one whole round (3 tries), then accepts
    local.seed_default_rules()
    local.receiver.script("/hook", *[Reply.server_error()] * 3)
    local.api(
        "POST",
        "/channels",
        body={"channel_id": "hook", "name": "h", "type": "webhook", "target": {"url": local.receiver.url("/hook")}},
    )
    _, rule = local.api("GET", "/rules/high-cpu-usage")
    update = {k: v for k, v in rule.items() if k not in ("created_at", "updated_at")}
    local.api("PUT", "/rules/high-cpu-usage", body={**update, "channels": ["hook"]})
    now = [START + timedelta(minutes=6, seconds=20)]
    set_clock(lambda: now[0])
    try:
        for n in range(6):
            minute(local, n, 97)
        assert len(local.receiver.received("/hook")) == 3  # the first round failed

        # When simulated time passes the round's 30 s delay (no wall-clock wait)
        local.pump()
        assert len(local.receiver.received("/hook")) == 3  # not due yet
        now[0] += timedelta(seconds=31)
        local.pump()
    finally:
        set_clock(None)

    # Then the second round delivered it
    assert len(local.receiver.received("/hook")) == 4


def test_escalation_reaches_the_second_level_and_an_ack_stops_it(local: LocalStack):
    # Given the CPU rule with a two-level policy: Slack #ops, then a manager's webhook after 2 minutes
    local.seed_default_rules()
    for channel_id in ("ops", "manager"):
        target = {"url": local.receiver.url(f"/{channel_id}")}
        local.api(
            "POST",
            "/channels",
            body={"channel_id": channel_id, "name": channel_id, "type": "webhook", "target": target},
        )
    policy = {
        "policy_id": "web",
        "name": "Web on-call",
        "levels": [
            {"targets": [{"channel": "ops"}], "escalate_after_seconds": 120},
            {"targets": [{"channel": "manager"}], "escalate_after_seconds": 120},
        ],
    }
    assert local.api("POST", "/escalation-policies", body=policy)[0] == 201
    _, rule = local.api("GET", "/rules/high-cpu-usage")
    update = {k: v for k, v in rule.items() if k not in ("created_at", "updated_at")}
    assert local.api("PUT", "/rules/high-cpu-usage", body={**update, "escalation_policy_id": "web"})[0] == 200

    def events(path: str) -> list[str]:
        return [r.headers["X-Alerting-Event"] for r in local.receiver.received(path)]

    # When CPU stays high and nobody acknowledges
    fired_at = next(n for n in range(10) if minute(local, n, 97)["alerts_fired"])
    minute(local, fired_at + 1, 97)
    assert (events("/ops"), events("/manager")) == (["firing"], [])
    for n in range(fired_at + 2, fired_at + 4):  # 2 minutes after level 1 was notified
        minute(local, n, 97)

    # Then the second level was paged, once
    assert (events("/ops"), events("/manager")) == (["firing"], ["escalated"])
    _, page = local.api("GET", "/alerts", query={"status": "firing"})
    (alert,) = page["items"]
    assert alert["escalation_level"] == 2

    # When the manager acknowledges, both levels hear it and nothing escalates any more
    local.api("POST", f"/alerts/{alert['alert_id']}/ack", body={"by": "manager"})
    local.pump()
    for n in range(fired_at + 4, fired_at + 10):
        minute(local, n, 97)
    assert (events("/ops"), events("/manager")) == (["firing", "acknowledged"], ["escalated", "acknowledged"])


def test_a_schedule_level_pages_whoever_is_on_call_by_sms_and_they_hear_the_ack(local: LocalStack):
    # Given a policy whose second level is an on-call schedule of two SMS channels (daily handoff)
    local.seed_default_rules()
    for person, number in (("alice-sms", "+4915111111111"), ("bob-sms", "+4915122222222")):
        body = {"channel_id": person, "name": person, "type": "sms", "target": {"phone_number": number}}
        assert local.api("POST", "/channels", body=body)[0] == 201
    local.api(
        "POST",
        "/channels",
        body={"channel_id": "ops", "name": "ops", "type": "webhook", "target": {"url": local.receiver.url("/ops")}},
    )
    schedule = {
        "schedule_id": "primary",
        "name": "Primary",
        "time_zone": "Europe/Berlin",
        "rotation": {
            "participants": ["alice-sms", "bob-sms"],
            "starts_at": "2026-11-25T09:00:00",
            "shift": {"unit": "days"},
        },
    }
    assert local.api("POST", "/schedules", body=schedule)[0] == 201
    assert local.api("GET", "/schedules/primary/oncall", query={"at": START.isoformat()})[1]["participant"] == "bob-sms"
    policy = {
        "policy_id": "web",
        "name": "Web",
        "levels": [
            {"targets": [{"channel": "ops"}], "escalate_after_seconds": 120},
            {"targets": [{"schedule": "primary"}], "escalate_after_seconds": 600},
        ],
    }
    assert local.api("POST", "/escalation-policies", body=policy)[0] == 201
    _, rule = local.api("GET", "/rules/high-cpu-usage")
    update = {k: v for k, v in rule.items() if k not in ("created_at", "updated_at")}
    assert local.api("PUT", "/rules/high-cpu-usage", body={**update, "escalation_policy_id": "web"})[0] == 200

    # When nobody acknowledges for two minutes, the one on call (Bob, on 26 November) is paged
    fired_at = next(n for n in range(10) if minute(local, n, 97)["alerts_fired"])
    for n in range(fired_at + 1, fired_at + 4):
        minute(local, n, 97)
    (page,) = local.sent_sms()
    assert page[0] == "+4915122222222" and page[1].startswith("ESCALATED HIGH High CPU Usage")
    assert len(page[1]) <= 140

    # Then the acknowledgement reaches Bob too (who was paged), and Alice hears nothing
    _, alerts = local.api("GET", "/alerts", query={"status": "firing"})
    (alert,) = alerts["items"]
    local.api("POST", f"/alerts/{alert['alert_id']}/ack", body={"by": "bob"})
    local.pump()
    assert [number for number, _ in local.sent_sms()] == ["+4915122222222", "+4915122222222"]
    _, deliveries = local.api("GET", f"/alerts/{alert['alert_id']}/deliveries")
    sms = [(d["event"], d["channel_id"], d["status"]) for d in deliveries["items"] if d["channel_type"] == "sms"]
    assert sms == [("escalated", "bob-sms", "delivered"), ("acknowledged", "bob-sms", "delivered")]


def test_an_open_critical_alert_inhibits_the_related_one_in_its_region(local: LocalStack):
    # Given two rules on the same metric: a critical "region down" and a high one, in the same region
    local.seed_default_rules()
    local.api(
        "POST",
        "/channels",
        body={"channel_id": "ops", "name": "ops", "type": "webhook", "target": {"url": local.receiver.url("/ops")}},
    )
    _, rule = local.api("GET", "/rules/high-cpu-usage")
    base = {k: v for k, v in rule.items() if k not in ("created_at", "updated_at", "version", "rule_id")}
    for rule_id, severity, threshold in (("region-down", "critical", 90), ("service-slow", "high", 80)):
        condition = {**rule["conditions"][0], "threshold": threshold}
        body = {
            **base,
            "rule_id": rule_id,
            "name": rule_id,
            "severity": severity,
            "conditions": [condition],
            "channels": ["ops"],
            "labels": {"region": "eu"},
        }
        assert local.api("POST", "/rules", body=body)[0] == 201, body
    inhibition = {
        "inhibition_id": "region",
        "source": [{"label": "rule_id", "value": "region-down"}],
        "target": [{"label": "rule_id", "value": "service-slow"}],
        "equal": ["region"],
    }
    assert local.api("POST", "/inhibitions", body=inhibition)[0] == 201

    # When the region goes down, the critical alert fires first (its tick wrote it), then the other
    for n in range(6):
        minute(local, n, 99)
    _, alerts = local.api("GET", "/alerts", query={"status": "firing"})
    by_rule = {a["rule_id"]: a["alert_id"] for a in alerts["items"]}
    assert {"region-down", "service-slow"} <= set(by_rule)

    # Then the service alert is recorded as inhibited by the region alert, the region alert is sent
    _, deliveries = local.api("GET", f"/alerts/{by_rule['service-slow']}/deliveries")
    ops = [d for d in deliveries["items"] if d["channel_id"] == "ops"]
    assert [(d["status"], d["inhibited_by"]) for d in ops] == [("suppressed", by_rule["region-down"])]
    _, deliveries = local.api("GET", f"/alerts/{by_rule['region-down']}/deliveries")
    assert [d["status"] for d in deliveries["items"] if d["channel_id"] == "ops"] == ["delivered"]


def test_a_warning_becomes_critical_in_place_and_the_pager_hears_it_from_then_on(local: LocalStack):
    # Given a rule with a warning level (75) below critical (90), Slack for everything and a
    # pager that wants only critical
    local.seed_default_rules()
    for channel_id, filters in (("ops", {}), ("pager", {"min_severity": "critical"})):
        body = {
            "channel_id": channel_id,
            "name": channel_id,
            "type": "webhook",
            "target": {"url": local.receiver.url(f"/{channel_id}")},
            "filters": filters,
        }
        assert local.api("POST", "/channels", body=body)[0] == 201
    _, rule = local.api("GET", "/rules/high-cpu-usage")
    condition = {**rule["conditions"][0], "threshold": 90, "warning_threshold": 75}
    body = {
        **{k: v for k, v in rule.items() if k not in ("created_at", "updated_at", "version", "rule_id")},
        "rule_id": "cpu-levels",
        "severity": "critical",
        "warning_severity": "medium",
        "conditions": [condition],
        "window_seconds": 60,
        "breaches_to_fire": 1,
        "channels": ["ops", "pager"],
    }
    assert local.api("POST", "/rules", body=body)[0] == 201, body

    def heard(path: str) -> list[tuple[str, str]]:
        return [
            (r.headers["X-Alerting-Event"], json.loads(r.body)["alert"]["severity"])
            for r in local.receiver.received(path)
        ]

    # When CPU runs warm, then hot, then warm again, then normal
    for n, cpu in enumerate((80, 80, 95, 95, 80, 80, 40, 40, 40)):
        minute(local, n, cpu)

    _, page = local.api("GET", "/alerts", query={"rule_id": "cpu-levels"})
    assert len(page["items"]) == 1  # one alert, its severity moving in place
    assert [e for e, _ in heard("/ops")] == ["firing", "severity_changed", "severity_changed", "resolved"]
    assert heard("/pager") == [("severity_changed", "critical"), ("severity_changed", "medium"), ("resolved", "medium")]


def test_a_fleet_breaching_at_once_arrives_as_one_grouped_slack_message(local: LocalStack):
    from alerting.models.common import set_clock

    # Given one rule over six instances and a Slack channel that groups by rule (wait 30 s)
    local.seed_default_rules()
    slack = {
        "channel_id": "ops",
        "name": "#ops",
        "type": "slack",
        "target": {"webhook_url": local.receiver.url("/services/ops")},
        "group_by": ["rule_id"],
        "group_wait_seconds": 30,
    }
    assert local.api("POST", "/channels", body=slack)[0] == 201
    cpu = {"namespace": "AWS/EC2", "name": "CPUUtilization", "dimensions": {"InstanceId": "*"}}
    rule = {
        "rule_id": "fleet-cpu",
        "name": "Fleet CPU",
        "severity": "high",
        "conditions": [{"metric": cpu, "operator": "gte", "threshold": 90}],
        "window_seconds": 60,
        "evaluation_delay_seconds": 0,
        "channels": ["ops"],
    }
    assert local.api("POST", "/rules", body=rule)[0] == 201
    now = [START + timedelta(minutes=1, seconds=5)]
    set_clock(lambda: now[0])
    try:
        for n in range(6):
            value = 97.0 if n in (1, 3, 4) else 20.0
            local.put_metric(
                "CPUUtilization", value, START + timedelta(seconds=10), {"InstanceId": f"i-{n}"}, "AWS/EC2"
            )
        local.tick(START + timedelta(minutes=1))

        # When the three breaching instances fire on one tick, nothing goes out within the wait
        local.pump()
        assert local.receiver.received("/services/ops") == []
        now[0] += timedelta(seconds=31)
        local.pump()
    finally:
        set_clock(None)

    # Then one Slack message lists all three, and each transition's record points at it
    (message,) = local.receiver.received("/services/ops")
    body = json.loads(message.body)
    assert body["text"] == "[FIRING] 3 alerts: Fleet CPU (3)"
    lines = body["attachments"][0]["blocks"][1]["text"]["text"].splitlines()
    assert [line.split(": ")[0] for line in lines] == [f"FIRING HIGH Fleet CPU InstanceId=i-{n}" for n in (1, 3, 4)]
    _, alerts = local.api("GET", "/alerts", query={"rule_id": "fleet-cpu"})
    records = [local.api("GET", f"/alerts/{a['alert_id']}/deliveries")[1]["items"] for a in alerts["items"]]
    ops = [r for rs in records for r in rs if r["channel_id"] == "ops"]
    assert len(ops) == 3 and {r["status"] for r in ops} == {"delivered"} and len({r["group_id"] for r in ops}) == 1


def test_a_pending_silence_deleted_over_a_firing_alert_announces_nothing(local: LocalStack):
    from alerting.models.common import iso, set_clock

    # Given the CPU rule on a webhook through a one-level policy, and the API's clock on the ticks'
    local.seed_default_rules()
    target = {"url": local.receiver.url("/ops")}
    local.api("POST", "/channels", body={"channel_id": "ops", "name": "ops", "type": "webhook", "target": target})
    policy = {
        "policy_id": "web",
        "name": "Web",
        "levels": [{"targets": [{"channel": "ops"}], "escalate_after_seconds": 1800}],
    }
    assert local.api("POST", "/escalation-policies", body=policy)[0] == 201
    _, rule = local.api("GET", "/rules/high-cpu-usage")
    update = {k: v for k, v in rule.items() if k not in ("created_at", "updated_at")}
    assert local.api("PUT", "/rules/high-cpu-usage", body={**update, "escalation_policy_id": "web"})[0] == 200
    now = [START]
    set_clock(lambda: now[0])

    def at(n: int) -> dict:
        now[0] = START + timedelta(minutes=n + 1, seconds=10)  # just after minute n's tick
        return minute(local, n, 97)

    try:
        fired_at = next(n for n in range(10) if at(n)["alerts_fired"])
        _, page = local.api("GET", "/alerts", query={"status": "firing"})
        (alert,) = page["items"]
        silence = {
            "silence_id": "later",
            "matchers": [{"label": "rule_id", "value": "high-cpu-usage"}],
            "starts_at": iso(now[0] + timedelta(minutes=30)),
            "ends_at": iso(now[0] + timedelta(hours=2)),
            "created_by": "alice",
        }
        assert local.api("POST", "/silences", body=silence)[0] == 201
        at(fired_at + 1)

        # When the silence over the firing alert is deleted before it starts, and ticks follow
        assert local.api("DELETE", "/silences/later")[0] == 204
        for n in range(fired_at + 2, fired_at + 6):
            at(n)
    finally:
        set_clock(None)

    # Then nothing is announced again and escalation did not start over
    assert [r.headers["X-Alerting-Event"] for r in local.receiver.received("/ops")] == ["firing"]
    _, history = local.api("GET", f"/alerts/{alert['alert_id']}/history")
    assert [t["event"] for t in history["items"]] == ["firing"]
    _, final = local.api("GET", f"/alerts/{alert['alert_id']}")
    assert (final["status"], final["escalation_level"], final["escalated_at"]) == ("firing", 1, alert["escalated_at"])
