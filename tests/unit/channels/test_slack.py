"""Slack: the exact Block Kit payload, colours, limits, templates, and the webhook's answers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alerting.channels.base import GroupMessage
from alerting.channels.http import HttpClient
from alerting.channels.slack import SlackSender, group_payload, payload
from alerting.errors import DeliveryError
from alerting.models.channels import MessageTemplate
from alerting.models.common import AlertEvent
from alerting_local.receiver import Receiver, Reply
from tests.factories import condition, metric
from tests.unit.channels.builders import (
    EVIL,
    EVIL_ESCAPED,
    SLACK_PATH,
    acknowledged,
    alert_rule,
    hostile_alert,
    make_alert,
    make_message,
    resolved,
    slack_texts,
    slack_unescaped,
)

CPU = "App/Service CPUUtilization{Service=web} Average"


def _sender(http: HttpClient, receiver: Receiver, timeout: float = 2.0) -> SlackSender:
    return SlackSender(http, receiver.url(SLACK_PATH), timeout=timeout)


def _blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = body["attachments"][0]["blocks"]
    return blocks


def test_slack_payload_firing_alert_is_block_kit_with_colour_bar() -> None:
    body, template_error = payload(make_message(console_url="https://alerts.example.com/"))

    assert template_error is None
    assert body == {
        "text": "[FIRING][HIGH] High CPU Usage: CPU at 91.2% (threshold 85.0%)",
        "attachments": [
            {
                "color": "#D63232",
                "blocks": [
                    {
                        "type": "header",
                        "text": {
                            "type": "plain_text",
                            "text": ":red_circle: FIRING · High CPU Usage",
                            "emoji": True,
                        },
                    },
                    {
                        "type": "section",
                        "text": {
                            "type": "mrkdwn",
                            "text": "*CPU at 91.2% (threshold 85.0%)*\nService web is busy.",
                        },
                    },
                    {
                        "type": "section",
                        "fields": [
                            {"type": "mrkdwn", "text": "*Rule*\nHigh CPU Usage"},
                            {"type": "mrkdwn", "text": "*Severity*\nhigh · performance"},
                            {"type": "mrkdwn", "text": f"*{CPU}*\n91.2 (threshold ≥ 85)"},
                            {"type": "mrkdwn", "text": "*Started*\n2026-11-26 16:00 UTC"},
                            {"type": "mrkdwn", "text": "*Series*\nService=web"},
                        ],
                    },
                    {
                        "type": "actions",
                        "elements": [
                            {
                                "type": "button",
                                "text": {"type": "plain_text", "text": "Runbook"},
                                "url": "https://runbooks.example.com/high-cpu",
                            },
                            {
                                "type": "button",
                                "text": {"type": "plain_text", "text": "View alert"},
                                "url": "https://alerts.example.com/alerts/alert-1",
                            },
                        ],
                    },
                    {
                        "type": "context",
                        "elements": [
                            {
                                "type": "mrkdwn",
                                "text": "alert `alert-1` · rule `high-cpu` · 2026-11-26 16:00 UTC"
                                " · delivery `alert-1:1:ch-1`",
                            }
                        ],
                    },
                ],
            }
        ],
    }


@pytest.mark.parametrize(
    ("severity", "colour"),
    [
        ("critical", "#D63232"),
        ("high", "#D63232"),
        ("medium", "#E8A317"),
        ("low", "#439FE0"),
        ("info", "#439FE0"),
    ],
)
def test_slack_payload_firing_colour_follows_severity(severity: str, colour: str) -> None:
    body, _ = payload(make_message(make_alert(alert_rule(severity=severity))))

    assert body["attachments"][0]["color"] == colour


def test_slack_payload_acknowledged_says_who_and_when_in_amber() -> None:
    alert = acknowledged(make_alert(), by="alice", note="looking into it")

    body, _ = payload(make_message(alert))

    assert body["text"].startswith("[ACKNOWLEDGED][HIGH] High CPU Usage")
    assert body["attachments"][0]["color"] == "#F2C744"
    header, who = _blocks(body)[:2]
    assert header["text"]["text"] == ":eyes: ACKNOWLEDGED · High CPU Usage"
    assert who["text"]["text"] == "*Acknowledged by alice at 2026-11-26 16:05 UTC: looking into it*"


def test_slack_payload_resolved_says_who_when_and_how_long_in_green() -> None:
    alert = resolved(make_alert())

    body, _ = payload(make_message(alert))

    assert body["attachments"][0]["color"] == "#36a64f"
    header, who = _blocks(body)[:2]
    assert header["text"]["text"] == ":white_check_mark: RESOLVED · High CPU Usage"
    assert who["text"]["text"] == "*Resolved by evaluator (auto) at 2026-11-26 16:12 UTC after 12m 0s*"


@pytest.mark.parametrize(
    ("event", "emoji"), [(AlertEvent.escalated, ":rotating_light:"), (AlertEvent.repeat, ":repeat:")]
)
def test_slack_payload_escalated_and_repeat_name_the_event(event: AlertEvent, emoji: str) -> None:
    body, _ = payload(make_message(event=event))

    assert body["text"].startswith(f"[{event.value.upper()}][HIGH] High CPU Usage")
    assert _blocks(body)[0]["text"]["text"] == f"{emoji} {event.value.upper()} · High CPU Usage"
    assert body["attachments"][0]["color"] == "#D63232"


def test_slack_payload_escapes_mrkdwn_in_alert_data() -> None:
    # Given an annotation that tries to ping the whole channel
    alert = make_alert(alert_rule(annotations={"summary": "<!channel> & <https://evil.example|click>"}))

    body, _ = payload(make_message(alert))

    assert _blocks(body)[1]["text"]["text"] == "*&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;*"


@pytest.mark.parametrize("event", [AlertEvent.firing, AlertEvent.acknowledged])
def test_slack_payload_alert_data_escaped_in_text_and_every_block(event: AlertEvent) -> None:
    # Given a dimension value, rule name, annotations, actor and note that try to ping the channel
    alert = hostile_alert(event)

    body, _ = payload(make_message(alert, console_url="https://alerts.example.com"))

    # Then no text anywhere (the fallback `text`, header, sections, fields, context) can form a
    # mention or a link; what was sent reads as the characters it was
    assert slack_unescaped(body) == []
    assert body["text"].startswith(f"[{event.value.upper()}][HIGH] CPU {EVIL_ESCAPED}")
    assert EVIL_ESCAPED in _blocks(body)[0]["text"]["text"]
    assert all(EVIL not in text for text in slack_texts(body))
    # And the links we build stay links, under our own labels
    (actions,) = [b for b in _blocks(body) if b["type"] == "actions"]
    assert [(e["text"]["text"], e["url"]) for e in actions["elements"]] == [
        ("Runbook", "https://runbooks.example.com/high-cpu"),
        ("View alert", "https://alerts.example.com/alerts/alert-1"),
    ]


def test_slack_payload_template_output_is_escaped() -> None:
    # Given a channel template that itself writes a ping and a link, and echoes a dimension value
    template = MessageTemplate(
        subject="<!here> {{ series.InstanceId }}",
        body="*Look* <@U012ABCDEF> <https://evil.example|here> {{ series.InstanceId }}",
    )

    body, template_error = payload(make_message(hostile_alert(), template=template))

    assert template_error is None
    assert slack_unescaped(body) == []
    assert body["text"] == f"&lt;!here&gt; {EVIL_ESCAPED}"
    assert _blocks(body)[1]["text"]["text"] == (
        f"*Look* &lt;@U012ABCDEF&gt; &lt;https://evil.example|here&gt; {EVIL_ESCAPED}"
    )


def test_slack_group_payload_escapes_rule_names_and_series() -> None:
    alert = hostile_alert()
    group = GroupMessage((alert,), f"ch-1:{EVIL}:1", {"InstanceId": EVIL})

    body = group_payload(group)

    assert slack_unescaped(body) == []
    assert body["text"] == f"[FIRING] 1 alert: CPU {EVIL_ESCAPED}"


def test_slack_payload_cut_text_never_ends_in_half_an_entity() -> None:
    # Given a rule name of 200 "<": escaped, 800 characters, cut to the header's 150
    body, _ = payload(make_message(make_alert(alert_rule(name="<" * 200))))

    header = _blocks(body)[0]["text"]["text"]
    assert len(header) <= 150
    assert header.endswith("&lt;…")
    assert slack_unescaped(body) == []


def test_slack_payload_runbook_that_is_not_a_web_url_gets_no_button() -> None:
    alert = make_alert(alert_rule(annotations={"summary": "s", "runbook_url": "javascript:alert(1)"}))

    body, _ = payload(make_message(alert))

    assert all(block["type"] != "actions" for block in _blocks(body))


def test_slack_payload_huge_annotations_and_ten_conditions_stay_within_limits() -> None:
    # Given ten conditions, a 20,000-character description and a long rule name
    conditions = [condition(metric=metric(f"M{i}", namespace="App/" + "N" * 250)) for i in range(10)]
    alert = make_alert(alert_rule(name="R" * 200, conditions=conditions))
    huge = alert.model_copy(update={"annotations": {"summary": "S" * 5000, "description": "D" * 20_000}})

    body, _ = payload(make_message(huge))

    # Then every Block Kit limit holds
    blocks = _blocks(body)
    assert len(blocks) <= 50
    assert len(json.dumps(body)) < 13_000  # Slack's undocumented msg_blocks_too_long bound
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "section" and "fields" in block:
            assert len(block["fields"]) <= 10
            assert all(len(f["text"]) <= 2000 for f in block["fields"])
    fields = [f for b in blocks if "fields" in b for f in b["fields"]]
    assert len(fields) == 14  # rule, severity, 10 conditions, started, series
    assert blocks[0]["text"]["text"].endswith("…")


def test_slack_payload_template_replaces_header_text_and_summary() -> None:
    template = MessageTemplate(
        subject="{{ rule_name }} is {{ status }}", body="Value *{{ value }}* on {{ series.Service }}"
    )

    body, template_error = payload(make_message(template=template))

    assert template_error is None
    assert body["text"] == "High CPU Usage is firing"
    assert _blocks(body)[0]["text"]["text"] == ":red_circle: High CPU Usage is firing"
    assert _blocks(body)[1]["text"]["text"] == "Value *91.2* on web"


def test_slack_payload_failing_template_falls_back_and_reports() -> None:
    template = MessageTemplate(subject="{{ nope.missing }}", body="{{ value | no_such_filter }}")

    body, template_error = payload(make_message(template=template))

    assert body["text"] == "[FIRING][HIGH] High CPU Usage: CPU at 91.2% (threshold 85.0%)"
    assert _blocks(body)[1]["text"]["text"] == "*CPU at 91.2% (threshold 85.0%)*\nService web is busy."
    assert template_error is not None
    assert template_error.startswith("subject: UndefinedError")
    assert "; body: " in template_error


def test_slack_send_posts_payload_and_returns_receipt(receiver: Receiver, http: HttpClient) -> None:
    message = make_message()

    receipt = _sender(http, receiver).send(message)

    (request,) = receiver.received(SLACK_PATH)
    assert request.json == payload(message)[0]
    assert (receipt.http_status, receipt.template_error) == (200, None)


def test_slack_send_failing_template_still_delivers_with_template_error(receiver: Receiver, http: HttpClient) -> None:
    receipt = _sender(http, receiver).send(make_message(template=MessageTemplate(subject="{{ x.y }}")))

    assert len(receiver.received(SLACK_PATH)) == 1
    assert receipt.template_error is not None


@pytest.mark.parametrize(
    ("reply", "retryable", "retry_after"),
    [
        (Reply.rate_limited("30"), True, 30.0),
        (Reply.server_error(), True, None),
        (Reply.bad_request(), False, None),
        (Reply(404, "no_service"), False, None),
    ],
)
def test_slack_send_error_answers_are_classified(
    receiver: Receiver, http: HttpClient, reply: Reply, retryable: bool, retry_after: float | None
) -> None:
    receiver.script(SLACK_PATH, reply)

    with pytest.raises(DeliveryError) as caught:
        _sender(http, receiver).send(make_message())

    assert (caught.value.retryable, caught.value.retry_after, caught.value.status_code) == (
        retryable,
        retry_after,
        reply.status,
    )
    assert str(caught.value).startswith(f"slack webhook answered {reply.status}")


def test_slack_send_hung_webhook_is_retryable_timeout(receiver: Receiver, http: HttpClient) -> None:
    receiver.script(SLACK_PATH, Reply.hang())

    with pytest.raises(DeliveryError) as caught:
        _sender(http, receiver, timeout=0.3).send(make_message())

    assert (str(caught.value), caught.value.retryable) == ("slack webhook timed out after 0.3s", True)


def test_slack_send_private_target_refused_without_allow_private(receiver: Receiver, http: HttpClient) -> None:
    sender = SlackSender(HttpClient(allow_private=False), receiver.url(SLACK_PATH), timeout=1.0)

    with pytest.raises(DeliveryError) as caught:
        sender.send(make_message())

    assert caught.value.retryable is False
    assert receiver.received() == []


def test_every_event_has_its_emoji() -> None:
    from alerting.channels.slack import EMOJI

    assert set(EMOJI) == set(AlertEvent)
