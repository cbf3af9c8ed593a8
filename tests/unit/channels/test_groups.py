"""Group messages per channel: one Slack message with a line per alert capped with "and N
more", one document with `alerts[]` (webhook, SNS) within the size limit, one SMS."""

from __future__ import annotations

import json

from alerting.channels.base import GroupMessage
from alerting.channels.render import MAX_GROUP_LINES, group_document, group_json, group_title
from alerting.channels.slack import group_payload
from alerting.channels.sms import MAX_LENGTH, fit
from tests.unit.channels.builders import alert_rule, make_alert


def fleet(n: int) -> GroupMessage:
    alerts = [
        make_alert(alert_rule(name="Fleet CPU")).model_copy(
            update={"alert_id": f"a-{i}", "series": {"InstanceId": f"i-{i:03}"}}
        )
        for i in range(n)
    ]
    return GroupMessage(tuple(alerts), "ops:k:1796000000", {"rule_id": "high-cpu"})


def test_three_hundred_instances_are_one_slack_message_with_twenty_lines_and_the_rest_counted():
    body = group_payload(fleet(300))
    assert body["text"] == "[FIRING] 300 alerts: Fleet CPU (300)"
    lines = body["attachments"][0]["blocks"][1]["text"]["text"].splitlines()
    assert len(lines) == MAX_GROUP_LINES + 1 and lines[-1] == "and 280 more"
    assert lines[0].startswith("FIRING HIGH Fleet CPU InstanceId=i-000: ")
    assert len(json.dumps(body)) < 40_000


def test_the_grouped_document_carries_every_alert_and_fits_the_sns_limit_by_leaving_some_out():
    group = fleet(3)
    document = group_document(group)
    assert (document["event"], document["group"], document["delivery_id"]) == (
        "firing",
        {"labels": {"rule_id": "high-cpu"}, "size": 3},
        "ops:k:1796000000",
    )
    assert [a["alert"]["alert_id"] for a in document["alerts"]] == ["a-0", "a-1", "a-2"]
    capped = json.loads(group_json(fleet(600), max_bytes=256 * 1024))
    assert len(json.dumps(capped).encode()) <= 256 * 1024
    assert capped["group"]["size"] == 600 and capped["group"]["left_out"] == 600 - len(capped["alerts"])


def test_a_group_sms_fits_one_message():
    group = fleet(50)
    assert group_title(group) == "[FIRING] 50 alerts: Fleet CPU (50)"
    assert len(fit(group_title(group) + ": " + "x" * 500, "")) <= MAX_LENGTH
