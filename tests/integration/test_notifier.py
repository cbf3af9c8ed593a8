"""End to end on moto: evaluator fires → stream records → real notifier handler → deliveries."""

from __future__ import annotations

import json

import pytest

from alerting.kinds import CHANNEL, MUTE_WINDOW, RULE
from alerting.models.channels import Channel
from alerting.models.mute_windows import MuteWindow
from alerting.repositories.alerts import AlertFilter, AlertRepository
from alerting.repositories.config import ConfigRepository
from alerting_local.lambda_runtime import LambdaContext
from alerting_local.streams import StreamMapping
from notifier import handler as notifier_handler
from tests.factories import make_rule
from tests.integration.test_evaluator import put_cpu, tick


@pytest.fixture
def topic_queue(aws):
    """An SQS subscription to the alerts topic, filtered to high and critical alerts."""
    sqs, sns = aws.client("sqs"), aws.client("sns")
    url = sqs.create_queue(QueueName="subscriber")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=aws.stack.refs["AlertsTopic"],
        Protocol="sqs",
        Endpoint=arn,
        Attributes={
            "FilterPolicy": json.dumps({"severity": ["high", "critical"]}),
            "RawMessageDelivery": "true",
        },
    )
    return url


@pytest.fixture
def mapping(aws):
    notifier_handler.build.cache_clear()
    notifier_handler.generations.cache_clear()
    return StreamMapping(
        aws.stack,
        "NotifierFunction",
        "AlertsStream",
        aws.client("dynamodbstreams"),
        aws.client("sqs"),
        notifier_handler.handler,
    )


def fire_one(aws, **rule_overrides) -> None:
    """A rule with a 1-minute window fires on the first tick over a breaching minute."""
    env = aws.env("EvaluatorFunction")
    ConfigRepository(aws.client("dynamodb"), env["CONFIG_TABLE"], RULE).create(
        make_rule(window_seconds=60, evaluation_delay_seconds=0, **rule_overrides)
    )
    put_cpu(aws, 0, 99)
    tick(1)


def received(aws, url) -> list[dict]:
    messages = (
        aws.client("sqs")
        .receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
        .get("Messages", [])
    )
    return messages


def test_fired_and_resolved_alert_reaches_the_topic_with_filterable_attributes(aws, topic_queue, mapping):
    dynamodb = aws.client("dynamodb")
    env = aws.env("EvaluatorFunction")
    ConfigRepository(dynamodb, env["CONFIG_TABLE"], RULE).create(
        make_rule(window_seconds=60, evaluation_delay_seconds=0)
    )
    put_cpu(aws, 0, 99)
    put_cpu(aws, 1, 10)
    tick(1)
    tick(2)

    assert mapping.poll() == 2
    answers = mapping.drain()
    assert all(a["batchItemFailures"] == [] for a in answers)

    messages = received(aws, topic_queue)
    bodies = [json.loads(m["Body"]) for m in messages]
    assert [b["event"] for b in bodies] == ["firing", "resolved"]
    attributes = messages[0]["MessageAttributes"]
    assert {k: v["StringValue"] for k, v in attributes.items()} == {
        "severity": "high",
        "status": "firing",
        "category": "performance",
        "rule_id": "high-cpu",
        "event": "firing",
    }
    alerts = AlertRepository(dynamodb, env["ALERTS_TABLE"], env["ALERT_LOG_TABLE"])
    (alert,) = alerts.page(AlertFilter(), 10, None).items
    deliveries = alerts.deliveries(alert.alert_id)
    assert [(d.seq, d.channel_id, d.status) for d in deliveries] == [
        (1, "alerts-topic", "delivered"),
        (2, "alerts-topic", "delivered"),
    ]
    assert all(d.provider_message_id for d in deliveries)


def test_the_same_stream_batch_delivered_twice_sends_nothing_twice(aws, topic_queue, mapping):
    fire_one(aws)
    mapping.poll()
    batch = list(mapping.pending)
    mapping.drain()
    again = notifier_handler.handler({"Records": batch}, LambdaContext("notifier"))
    assert again["batchItemFailures"] == []
    assert len(received(aws, topic_queue)) == 1


def test_a_malformed_record_fails_alone(aws, topic_queue, mapping):
    fire_one(aws)
    mapping.poll()
    good = mapping.pending[0]
    bad = {
        **good,
        "dynamodb": {**good["dynamodb"], "SequenceNumber": "0", "NewImage": {"alert_id": {"S": "x"}}},
    }
    answer = notifier_handler.handler({"Records": [bad, good]}, LambdaContext("notifier"))
    assert answer["batchItemFailures"] == [{"itemIdentifier": "0"}]
    assert len(received(aws, topic_queue)) == 1


def test_low_severity_is_filtered_by_the_subscription_not_by_us(aws, topic_queue, mapping):
    fire_one(aws, severity="low")
    mapping.poll()
    mapping.drain()
    assert received(aws, topic_queue) == []
    env = aws.env("EvaluatorFunction")
    alerts = AlertRepository(aws.client("dynamodb"), env["ALERTS_TABLE"], env["ALERT_LOG_TABLE"])
    (alert,) = alerts.page(AlertFilter(), 10, None).items
    assert [d.status for d in alerts.deliveries(alert.alert_id)] == ["delivered"]  # published all the same


def test_a_failing_channel_is_retried_through_the_retry_queue(aws, mapping, monkeypatch):
    # Given a Slack channel whose webhook fails a whole round, then recovers
    from alerting_local.queues import QueueMapping
    from alerting_local.receiver import Receiver, Reply

    monkeypatch.setenv("DELIVERY_RETRY_FIRST_BACKOFF_SECONDS", "0")
    notifier_handler.build.cache_clear()
    notifier_handler.generations.cache_clear()
    with Receiver() as slack:
        slack.script("/hook", Reply.server_error(), Reply.server_error(), Reply.server_error(), Reply.ok())
        env = aws.env("NotifierFunction")
        ssm = aws.client("ssm")
        name = f"{env['SECRETS_PREFIX']}/ops-slack/webhook_url"
        ssm.put_parameter(Name=name, Value=slack.url("/hook"), Type="SecureString")
        ConfigRepository(aws.client("dynamodb"), env["CONFIG_TABLE"], CHANNEL).create(
            Channel(channel_id="ops-slack", name="ops", type="slack", target={}, secret_refs={"webhook_url": name})
        )
        fire_one(aws, channels=["ops-slack"])
        retries = QueueMapping(
            aws.stack, "NotifierFunction", "DeliveryRetries", aws.client("sqs"), notifier_handler.handler
        )

        # When the stream record is processed, Then it succeeds and the Slack round is queued
        mapping.poll()
        assert all(a["batchItemFailures"] == [] for a in mapping.drain())
        alerts = AlertRepository(aws.client("dynamodb"), env["ALERTS_TABLE"], env["ALERT_LOG_TABLE"])
        (alert,) = alerts.page(AlertFilter(), 10, None).items
        slack_record = next(d for d in alerts.deliveries(alert.alert_id) if d.channel_id == "ops-slack")
        assert (slack_record.status, slack_record.attempts) == ("retrying", 3)

        # And the next round, from the retry queue, delivers
        retries.drain()
        slack_record = next(d for d in alerts.deliveries(alert.alert_id) if d.channel_id == "ops-slack")
        assert (slack_record.status, slack_record.attempts, slack_record.rounds) == ("delivered", 4, 2)
        assert len(slack.received("/hook")) == 4


def test_a_mute_window_keeps_every_target_quiet_and_records_why(aws, topic_queue, mapping):
    env = aws.env("EvaluatorFunction")
    dynamodb = aws.client("dynamodb")
    window = MuteWindow.model_validate(
        {
            "mute_window_id": "always",
            "name": "Always",
            "time_zone": "Pacific/Auckland",
            "matchers": [{"label": "rule_id", "value": "high-cpu"}],
            "times": [{"start": "00:00", "end": "24:00"}],
        }
    )
    ConfigRepository(dynamodb, env["CONFIG_TABLE"], MUTE_WINDOW).create(window)
    fire_one(aws)

    assert mapping.poll() == 1
    assert all(a["batchItemFailures"] == [] for a in mapping.drain())
    assert received(aws, topic_queue) == []  # the stack's topic is suppressed like every target
    alerts = AlertRepository(dynamodb, env["ALERTS_TABLE"], env["ALERT_LOG_TABLE"])
    (alert,) = alerts.page(AlertFilter(), 10, None).items
    (delivery,) = alerts.deliveries(alert.alert_id)
    assert (delivery.status, delivery.mute_window_id, delivery.error) == ("suppressed", "always", "muted by always")


def test_a_dimension_value_that_tries_to_ping_reaches_slack_escaped(aws, mapping):
    # Given a fleet rule on a Slack channel, and an instance whose dimension value (anyone who
    # may publish a metric chooses it) tries to ping the channel behind a disguised link
    from alerting_local.receiver import Receiver
    from tests.integration.test_evaluator import fleet_rule, put_instance_cpu

    evil = "<!channel> <https://evil.example|Click to acknowledge>"
    with Receiver() as slack:
        env = aws.env("NotifierFunction")
        name = f"{env['SECRETS_PREFIX']}/ops-slack/webhook_url"
        aws.client("ssm").put_parameter(Name=name, Value=slack.url("/hook"), Type="SecureString")
        ConfigRepository(aws.client("dynamodb"), env["CONFIG_TABLE"], CHANNEL).create(
            Channel(channel_id="ops-slack", name="ops", type="slack", target={}, secret_refs={"webhook_url": name})
        )
        rule = fleet_rule(channels=["ops-slack"], annotations={"summary": "CPU high on {{ series.InstanceId }}"})
        ConfigRepository(aws.client("dynamodb"), env["CONFIG_TABLE"], RULE).create(rule)
        put_instance_cpu(aws, 0, {evil: 99})

        # When the rule fires and the notifier delivers the transition
        tick(1)
        mapping.poll()
        assert all(a["batchItemFailures"] == [] for a in mapping.drain())

        # Then Slack received the value as text: no mention, no link of its own
        (request,) = slack.received("/hook")
    sent = request.body.decode()
    assert "<!channel>" not in sent and "<https://evil.example" not in sent
    escaped = "&lt;!channel&gt; &lt;https://evil.example|Click to acknowledge&gt;"
    assert escaped in request.json["text"]
    assert json.dumps(request.json["attachments"]).count(escaped) == 2  # the summary, the series field


def test_a_channel_that_heard_of_an_alert_hears_only_the_events_it_asked_for(aws, mapping):
    # Given a Slack channel that wants `firing` and `resolved` only, on a rule that fires
    from datetime import timedelta

    from alerting.lifecycle import acknowledge
    from alerting.repositories.dynamo import transact
    from alerting_local.receiver import Receiver

    dynamodb = aws.client("dynamodb")
    env = aws.env("NotifierFunction")
    alerts = AlertRepository(dynamodb, env["ALERTS_TABLE"], env["ALERT_LOG_TABLE"])
    with Receiver() as slack:
        name = f"{env['SECRETS_PREFIX']}/ops-slack/webhook_url"
        aws.client("ssm").put_parameter(Name=name, Value=slack.url("/hook"), Type="SecureString")
        ConfigRepository(dynamodb, env["CONFIG_TABLE"], CHANNEL).create(
            Channel(
                channel_id="ops-slack",
                name="ops",
                type="slack",
                target={},
                secret_refs={"webhook_url": name},
                filters={"events": ["firing", "resolved"]},
            )
        )
        fire_one(aws, channels=["ops-slack"])
        mapping.poll()
        mapping.drain()

        # When the alert is acknowledged, then recovers
        (alert,) = alerts.page(AlertFilter(), 10, None).items
        transact(dynamodb, alerts.write_ops(*acknowledge(alert, "alice", alert.started_at + timedelta(seconds=20))))
        put_cpu(aws, 1, 10)
        tick(2)
        mapping.poll()
        assert all(a["batchItemFailures"] == [] for a in mapping.drain())
        texts = [r.json["text"] for r in slack.received("/hook")]

    # Then Slack heard the firing and the resolution, not the acknowledgement (recorded as filtered)
    assert len(texts) == 2 and "FIRING" in texts[0] and "RESOLVED" in texts[1]
    slack_records = [
        (d.event, d.status, d.error) for d in alerts.deliveries(alert.alert_id) if d.channel_id == "ops-slack"
    ]
    assert slack_records == [
        ("firing", "delivered", None),
        ("acknowledged", "suppressed", "filtered out"),
        ("resolved", "delivered", None),
    ]


def test_quieting_created_through_the_api_applies_to_the_next_transition_at_once(aws, topic_queue, mapping, api):
    """Read your writes: the notifier has just loaded the quieting config (a warm container);
    a mute window created through the API a moment later applies to the next transition
    (a wall-clock cache kept it 15 s, and the alert was sent)."""
    fire_one(aws)
    mapping.poll()
    mapping.drain()  # warm: channels and quieting loaded
    assert len(received(aws, topic_queue)) == 1

    window = {
        "mute_window_id": "all-day",
        "name": "All day for the new rule",
        "time_zone": "UTC",
        "matchers": [{"label": "rule_id", "value": "new-rule"}],
        "times": [{"start": "00:00", "end": "24:00"}],
    }
    assert api.post("/mute-windows", window).status == 201
    env = aws.env("EvaluatorFunction")
    ConfigRepository(aws.client("dynamodb"), env["CONFIG_TABLE"], RULE).create(
        make_rule(rule_id="new-rule", window_seconds=60, evaluation_delay_seconds=0)
    )
    put_cpu(aws, 1, 99)
    tick(2)
    mapping.poll()
    mapping.drain()

    assert received(aws, topic_queue) == []  # nothing more published
    alerts = AlertRepository(aws.client("dynamodb"), env["ALERTS_TABLE"], env["ALERT_LOG_TABLE"])
    (muted,) = alerts.open_for_rule("new-rule")
    assert [(d.status, d.mute_window_id) for d in alerts.deliveries(muted.alert_id)] == [("suppressed", "all-day")]
