"""/alerts?source=: every source's alerts in one list, filtered by where they came from."""

from __future__ import annotations

from alerting.lifecycle import AlertLifecycle
from tests.factories import T0, make_rule
from tests.integration.test_signals import ONCALL, signal


def test_alerts_filter_by_source_and_an_alert_stored_before_sources_is_a_rules(api, store):
    rule_alert = store.fire()
    legacy = store.fire(make_rule(rule_id="legacy"))
    env = store.aws.env("ApiFunction")
    store.aws.client("dynamodb").update_item(
        TableName=env["ALERTS_TABLE"],
        Key={"alert_id": {"S": legacy.alert_id}},
        UpdateExpression="REMOVE #s",
        ExpressionAttributeNames={"#s": "source"},
    )
    AlertLifecycle(store.alerts, store.states).receive(signal(True, 0), ONCALL, T0)

    def listed(**query: str) -> set[str]:
        reply = api.get("/alerts", query)
        assert reply.status == 200, reply.body
        return {a["alert_id"] for a in reply.body["items"]}

    assert listed(source="rule") == {rule_alert.alert_id, legacy.alert_id}
    (external,) = listed(source="cloudwatch")
    assert api.get(f"/alerts/{external}").body["source"] == "cloudwatch"
    assert listed(source="heartbeat") == set()
    assert listed(source="rule", status="firing") == {rule_alert.alert_id, legacy.alert_id}
    assert api.get("/alerts", {"source": "nagios"}).status == 422
