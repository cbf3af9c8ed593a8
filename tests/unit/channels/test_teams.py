"""Teams: the exact Adaptive Card, styles, facts, links, escaping, templates and size, single
and grouped."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alerting.channels.base import GroupMessage
from alerting.channels.teams import MAX_BYTES, escape, group_payload, payload
from alerting.models.alerts import AlertSource
from alerting.models.channels import MessageTemplate
from alerting.models.common import AlertEvent
from tests.factories import condition, metric
from tests.unit.channels.builders import (
    EVIL,
    acknowledged,
    alert_rule,
    hostile_alert,
    make_alert,
    make_message,
    resolved,
    teams_texts,
    teams_unescaped,
)

CPU = "App/Service CPUUtilization{Service=web} Average"
CONSOLE = "https://alerts.example.com/"
# What Teams would read as Markdown: a link under a label of its choosing, emphasis, code, a
# date function, a list and a heading.
MARKDOWN = "[Click to acknowledge](https://evil.example) **now** _x_ `y` {{DATE(2030-01-01T00:00:00Z)}}\n- a\n# b"


def _card(body: dict[str, Any]) -> dict[str, Any]:
    (attachment,) = body["attachments"]
    card: dict[str, Any] = attachment["content"]
    return card


def test_teams_payload_firing_alert_is_an_adaptive_card_in_a_message() -> None:
    body, template_error = payload(make_message(console_url=CONSOLE))

    assert template_error is None
    assert body == {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "fallbackText": "\\[FIRING\\]\\[HIGH\\] High CPU Usage: CPU at 91.2% (threshold 85.0%)",
                    "msteams": {"width": "Full"},
                    "body": [
                        {
                            "type": "Container",
                            "style": "attention",
                            "bleed": True,
                            "items": [
                                {
                                    "type": "TextBlock",
                                    "text": "FIRING · High CPU Usage",
                                    "wrap": True,
                                    "size": "Large",
                                    "weight": "Bolder",
                                }
                            ],
                        },
                        {
                            "type": "TextBlock",
                            "text": "CPU at 91.2% (threshold 85.0%)",
                            "wrap": True,
                            "weight": "Bolder",
                        },
                        {"type": "TextBlock", "text": "Service web is busy.", "wrap": True},
                        {
                            "type": "FactSet",
                            "facts": [
                                {"title": "Rule", "value": "High CPU Usage"},
                                {"title": "Severity", "value": "high · performance"},
                                {"title": "Status", "value": "firing"},
                                {"title": CPU, "value": "91.2 (threshold ≥ 85)"},
                                {"title": "Started", "value": "2026-11-26 16:00 UTC"},
                                {"title": "Series", "value": "Service=web"},
                            ],
                        },
                        {
                            "type": "TextBlock",
                            "text": "alert alert-1 · rule high-cpu · delivery alert-1:1:ch-1",
                            "wrap": True,
                            "size": "Small",
                            "isSubtle": True,
                        },
                    ],
                    "actions": [
                        {
                            "type": "Action.OpenUrl",
                            "title": "Open in dashboard",
                            "url": "https://alerts.example.com/alerts/alert-1",
                        },
                        {"type": "Action.OpenUrl", "title": "Runbook", "url": "https://runbooks.example.com/high-cpu"},
                    ],
                },
            }
        ],
    }


@pytest.mark.parametrize(
    ("severity", "style"),
    [("critical", "attention"), ("high", "attention"), ("medium", "warning"), ("low", "accent"), ("info", "accent")],
)
def test_teams_payload_firing_style_follows_severity(severity: str, style: str) -> None:
    body, _ = payload(make_message(make_alert(alert_rule(severity=severity))))

    assert _card(body)["body"][0]["style"] == style


def test_teams_payload_acknowledged_says_who_and_when_in_warning() -> None:
    body, _ = payload(make_message(acknowledged(make_alert(), by="alice", note="looking into it")))

    banner = _card(body)["body"][0]
    assert banner["style"] == "warning"
    assert [item["text"] for item in banner["items"]] == [
        "ACKNOWLEDGED · High CPU Usage",
        "Acknowledged by alice at 2026-11-26 16:05 UTC: looking into it",
    ]


def test_teams_payload_resolved_is_good() -> None:
    body, _ = payload(make_message(resolved(make_alert())))

    banner = _card(body)["body"][0]
    assert banner["style"] == "good"
    assert banner["items"][1]["text"] == "Resolved by evaluator (auto) at 2026-11-26 16:12 UTC after 12m 0s"


def test_teams_payload_labels_are_a_fact_set_of_at_most_twenty() -> None:
    alert = make_alert().model_copy(update={"labels": {f"label{i:02}": f"v{i}" for i in range(25)}})

    body, _ = payload(make_message(alert))

    heading, facts = _card(body)["body"][4:6]
    assert heading["text"] == "Labels"
    pairs = [(f["title"], f["value"]) for f in facts["facts"]]
    assert pairs[:2] == [("label00", "v0"), ("label01", "v1")]
    assert pairs[-1] == ("…", "and 6 more") and len(pairs) == 20


def test_teams_payload_alert_of_another_source_names_it_and_links_its_origin() -> None:
    origin = "https://console.aws.amazon.com/cloudwatch/home#alarmsV2:alarm/api-5xx"
    alert = make_alert().model_copy(
        update={"source": AlertSource.cloudwatch, "source_url": origin, "rule_name": "api-5xx", "values": []}
    )

    body, _ = payload(make_message(alert, console_url=CONSOLE))

    facts = _card(body)["body"][3]["facts"]
    assert facts[0] == {"title": "Source", "value": "api-5xx (cloudwatch)"}
    assert [(a["title"], a["url"]) for a in _card(body)["actions"]] == [
        ("Open in dashboard", "https://alerts.example.com/alerts/alert-1"),
        ("Runbook", "https://runbooks.example.com/high-cpu"),
        ("Open origin", origin),
    ]


def test_teams_payload_links_that_are_not_web_urls_get_no_action() -> None:
    alert = make_alert(alert_rule(annotations={"runbook_url": "javascript:alert(1)"}))
    alert = alert.model_copy(update={"source_url": "file:///etc/passwd"})

    body, _ = payload(make_message(alert))

    assert "actions" not in _card(body)


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("[label](https://evil.example)", "\\[label\\](https://evil.example)"),
        ("**bold** _italic_ `code` ~strike~", "\\*\\*bold\\*\\* \\_italic\\_ \\`code\\` \\~strike\\~"),
        ("<at>alice</at> a\\b", "\\<at\\>alice\\</at\\> a\\\\b"),
        ("{{DATE(2030-01-01T00:00:00Z)}}", "\\{{DATE(2030-01-01T00:00:00Z)}}"),
        ("- item\n1. first\n12) x\n# heading\n---", "\\- item\n1\\. first\n12\\) x\n\\# heading\n\\---"),
        ("CPU 91.2 on i-1, 2-3 - 4", "CPU 91.2 on i-1, 2-3 - 4"),
    ],
)
def test_teams_escape_makes_markdown_read_as_itself(text: str, escaped: str) -> None:
    assert escape(text) == escaped


@pytest.mark.parametrize("event", [AlertEvent.firing, AlertEvent.acknowledged])
def test_teams_payload_alert_data_forms_no_markdown_anywhere(event: AlertEvent) -> None:
    # Given a dimension value, rule name, annotations, actor and note that carry Markdown and
    # Slack's markup, and labels that do too
    alert = hostile_alert(event)
    annotations = {**alert.annotations, "summary": MARKDOWN}
    alert = alert.model_copy(update={"labels": {MARKDOWN: MARKDOWN}, "annotations": annotations})

    body, _ = payload(make_message(alert, console_url=CONSOLE))

    # Then no text, fact or fallback can form a link, emphasis, a list or a date; the links are ours
    assert teams_unescaped(body) == []
    assert all(EVIL not in text and MARKDOWN not in text for text in teams_texts(body))
    assert [a["url"] for a in _card(body)["actions"]] == [
        "https://alerts.example.com/alerts/alert-1",
        "https://runbooks.example.com/high-cpu",
    ]


def test_teams_payload_template_replaces_heading_and_summary_and_is_escaped() -> None:
    template = MessageTemplate(
        subject="[{{ severity }}] {{ rule_name }}", body=f"Look: {{% raw %}}{MARKDOWN}{{% endraw %}}"
    )

    body, template_error = payload(make_message(template=template))

    assert template_error is None
    card = _card(body)
    assert card["body"][0]["items"][0]["text"] == "\\[high\\] High CPU Usage"
    assert card["body"][1]["text"].startswith("Look: \\[Click to acknowledge\\](https://evil.example)")
    assert card["fallbackText"] == "\\[high\\] High CPU Usage"
    assert teams_unescaped(body) == []


def test_teams_payload_failing_template_falls_back_and_reports() -> None:
    body, template_error = payload(make_message(template=MessageTemplate(subject="{{ x.y }}")))

    assert template_error is not None and template_error.startswith("subject: UndefinedError")
    assert _card(body)["body"][0]["items"][0]["text"] == "FIRING · High CPU Usage"


def test_teams_payload_huge_alert_fits_the_size_limit() -> None:
    # Given ten conditions, 20,000-character annotations full of characters that need escaping,
    # and fifty long labels
    conditions = [condition(metric=metric(f"Metric{i}", namespace="N" * 250)) for i in range(10)]
    alert = make_alert(alert_rule(name="R" * 200, conditions=conditions))
    update = {
        "annotations": {"summary": "*" * 20_000, "description": "é_" * 10_000},
        "labels": {f"l{i}_{'k' * 100}": "[" * 1000 for i in range(50)},
    }

    body, _ = payload(make_message(alert.model_copy(update=update)))

    assert len(json.dumps(body, ensure_ascii=False).encode()) <= MAX_BYTES
    assert teams_unescaped(body) == []


def _fleet(n: int) -> GroupMessage:
    alerts = [
        make_alert(alert_rule(name="Fleet CPU")).model_copy(
            update={"alert_id": f"a-{i}", "series": {"InstanceId": f"i-{i:03}"}}
        )
        for i in range(n)
    ]
    return GroupMessage(tuple(alerts), "ops:k:1796000000", {"rule_id": "high-cpu"})


def test_teams_group_payload_is_one_card_with_twenty_lines_and_the_rest_counted() -> None:
    body = group_payload(_fleet(300))

    card = _card(body)
    banner, *lines, labels, context = card["body"]
    assert banner["style"] == "attention"
    assert banner["items"][0]["text"] == "\\[FIRING\\] 300 alerts: Fleet CPU (300)"
    assert len(lines) == 21 and lines[-1]["text"] == "and 280 more"
    assert lines[0]["text"].startswith("FIRING HIGH Fleet CPU InstanceId=i-000: CPU at 91.2%")
    assert labels["facts"] == [{"title": "rule\\_id", "value": "high-cpu"}]
    assert context["text"] == "group ops:k:1796000000"
    assert "actions" not in card
    assert len(json.dumps(body, ensure_ascii=False).encode()) <= MAX_BYTES


def test_teams_group_payload_escapes_rule_names_and_series() -> None:
    alert = hostile_alert().model_copy(update={"annotations": {"summary": MARKDOWN}})

    body = group_payload(GroupMessage((alert,), "ops:k:1", {"service": MARKDOWN}))

    assert teams_unescaped(body) == []
