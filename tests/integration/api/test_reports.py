"""GET /summary and GET /health against moto."""

from __future__ import annotations

from datetime import timedelta

from alerting.models.common import iso, utcnow
from alerting.models.reports import EvaluationSummary
from tests.factories import make_rule
from tests.integration.api.conftest import minutes_ago


def test_summary_counts_the_last_day_by_default(api, store):
    cpu = store.fire(make_rule(rule_id="cpu", severity="high"), at=minutes_ago(30))
    store.fire(make_rule(rule_id="old"), at=minutes_ago(60 * 25))  # outside the default 24 h
    api.post(f"/alerts/{cpu.alert_id}/ack", {"by": "alice"})
    api.post(f"/alerts/{cpu.alert_id}/resolve", {"by": "alice"})

    body = api.get("/summary").body

    assert body["total"] == 1
    assert body["by_status"] == {"firing": 0, "acknowledged": 0, "resolved": 1}
    assert body["by_severity"]["high"] == 1 and body["by_category"]["performance"] == 1
    assert body["noisiest_rules"] == [{"rule_id": "cpu", "rule_name": "High CPU", "alerts": 1}]
    assert 30 * 60 <= body["mtta_seconds"] <= body["mttr_seconds"] < 32 * 60


def test_summary_since_widens_the_window_and_sums_the_suppressions_in_it(api, store):
    store.fire(make_rule(rule_id="old"), at=minutes_ago(60 * 25))
    store.runs.save(EvaluationSummary(tick=minutes_ago(60 * 30), suppressed=5))  # before the window
    store.runs.save(EvaluationSummary(tick=minutes_ago(60 * 3), suppressed=1))
    store.runs.save(EvaluationSummary(tick=minutes_ago(1), suppressed=2))
    store.runs.save(EvaluationSummary(tick=minutes_ago(1), suppressed=0))

    assert api.get("/summary").body["suppressed"] == 3  # the last 24 hours
    body = api.get("/summary", {"since": iso(utcnow() - timedelta(days=2))}).body
    assert (body["total"], body["suppressed"]) == (1, 8)


def test_summary_since_in_the_future_or_too_far_back_is_400(api):
    for since in (utcnow() + timedelta(hours=1), utcnow() - timedelta(days=91)):
        reply = api.get("/summary", {"since": iso(since)})
        assert (reply.status, reply.body["errors"][0]["field"]) == (400, "since")


def test_health_is_degraded_before_the_first_run(api, aws):
    body = api.get("/health").body
    assert body["status"] == "degraded"
    assert body["reasons"] == ["the evaluator has not run yet"]
    assert body["version"] == aws.env("ApiFunction")["APP_VERSION"]
    assert body["dead_letter_messages"] == {"evaluator": 0, "notifier": 0}


def test_health_is_ok_after_a_clean_recent_run(api, store):
    tick = minutes_ago(1)
    store.runs.save(EvaluationSummary(tick=tick, rules_evaluated=3))
    asked = utcnow()
    body = api.get("/health").body
    answered = utcnow()
    assert (body["status"], body["reasons"]) == ("ok", [])
    # bounded by the clock around the call, so a minute rolling over mid-test cannot fail it
    lag = body["evaluation_lag_seconds"]
    assert int((asked - tick).total_seconds()) <= lag <= (answered - tick).total_seconds() + 1
    assert body["last_run"]["rules_evaluated"] == 3


def test_health_reports_errors_and_dead_letters(api, aws, store):
    store.runs.save(EvaluationSummary(tick=minutes_ago(1), errors=2))
    aws.client("sqs").send_message(QueueUrl=aws.env("ApiFunction")["NOTIFIER_DLQ_URL"], MessageBody="{}")

    body = api.get("/health").body

    assert body["status"] == "degraded"
    assert body["dead_letter_messages"] == {"evaluator": 0, "notifier": 1}
    assert body["reasons"] == [
        "the evaluator's last run had 2 error(s)",
        "the notifier dead-letter queue holds 1 message(s)",
    ]


def test_summary_prices_the_stored_rules_with_their_series_and_the_deliveries(api, store):
    from tests.factories import condition, metric

    fleet = make_rule(rule_id="fleet", conditions=[condition(metric=metric(dimensions={"InstanceId": "*"}))])
    store.rules.create(fleet)
    store.fire(make_rule(rule_id="cpu", channels=[]), at=minutes_ago(30))

    cost = api.get("/summary").body["cost"]

    assert cost["rules"] == 2 and cost["series"] == 1  # the fleet rule has no series yet: 0, not its max_series
    (gmd,) = [line for line in cost["lines"] if line["item"].startswith("GetMetricData")]
    assert gmd["quantity"] == 43_200  # the plain rule's one metric, every minute
    (topic,) = [line for line in cost["lines"] if line["item"].startswith("SNS")]
    assert topic["quantity"] == 30  # one transition in the last day: the topic heard it, thirty a month
    assert cost["prices_as_of"] and cost["native_alarms_usd"] == 0.0
    assert cost["costliest_rules"][0]["rule_id"] == "cpu"
