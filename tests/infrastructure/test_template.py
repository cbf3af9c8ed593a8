"""template.yaml is the single source of truth: check the wiring the code relies on."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alerting.settings import (
    AlarmIngestSettings,
    ApiSettings,
    EvaluatorSettings,
    IngestApiSettings,
    NotifierSettings,
    Settings,
)
from alerting.sources.cloudwatch_alarms import AlarmSelection
from alerting_local.lambda_runtime import load_handler
from alerting_local.template import Stack, load_template
from api.routes.dashboard import security_headers

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
FUNCTIONS = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Serverless::Function"}


def stack() -> Stack:
    fake = Stack("s", "us-east-1", TEMPLATE, {k: str(v.get("Default", "")) for k, v in TEMPLATE["Parameters"].items()})
    for logical in RESOURCES:
        fake.refs[logical] = f"s-{logical}"
        for attribute in ("Arn", "StreamArn"):
            fake.attributes[(logical, attribute)] = f"arn:{logical}:{attribute}"
    return fake


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_every_function_handler_imports(logical_id: str):
    assert callable(load_handler(FUNCTIONS[logical_id]["Properties"]["Handler"]))


@pytest.mark.parametrize(
    ("logical_id", "settings"),
    [
        ("EvaluatorFunction", EvaluatorSettings),
        ("NotifierFunction", NotifierSettings),
        ("ApiFunction", ApiSettings),
        ("DefaultRulesSeedFunction", Settings),
        ("AlarmIngestFunction", AlarmIngestSettings),
        ("IngestApiFunction", IngestApiSettings),
    ],
)
def test_each_function_environment_satisfies_its_settings(logical_id: str, settings: type[Settings]):
    settings.from_env(stack().function_environment(logical_id))


@pytest.mark.parametrize(
    ("logical_id", "settings"), [("NotifierFunction", NotifierSettings), ("ApiFunction", ApiSettings)]
)
def test_sms_country_codes_reach_both_functions_that_send(logical_id: str, settings: type[Settings]):
    # The API checks a channel's number when it is saved (and sends tests), the notifier at each send
    fake = stack()
    fake.parameters["SmsCountryCodes"] = "49,44"

    assert settings.from_env(fake.function_environment(logical_id)).sms_destinations == ("49", "44")


def test_notifier_stream_mapping_reports_partial_failures_and_ends_in_a_dlq():
    props = FUNCTIONS["NotifierFunction"]["Properties"]["Events"]["AlertsStream"]["Properties"]
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True
    assert 0 <= props["MaximumRetryAttempts"] <= 10
    assert props["MaximumRecordAgeInSeconds"] > 0
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["NotifierDeadLetterQueue", "Arn"]}


def test_evaluator_schedule_runs_every_minute_with_retries_and_a_dlq():
    props = FUNCTIONS["EvaluatorFunction"]["Properties"]["Events"]["EveryMinute"]["Properties"]
    assert props["Schedule"] == "rate(1 minute)"
    assert props["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert props["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["EvaluatorDeadLetterQueue", "Arn"]}
    invoke = FUNCTIONS["EvaluatorFunction"]["Properties"]["EventInvokeConfig"]
    assert invoke["MaximumEventAgeInSeconds"] <= 300  # a stale tick is not worth evaluating late
    assert invoke["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["EvaluatorDeadLetterQueue", "Arn"]
    }


def test_alerts_table_streams_new_and_old_images_and_has_the_api_indexes():
    props = RESOURCES["AlertsTable"]["Properties"]
    assert props["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert {i["IndexName"] for i in props["GlobalSecondaryIndexes"]} == {"by-status", "by-rule", "by-time"}


def test_api_requires_iam_auth():
    assert RESOURCES["AlertingApi"]["Properties"]["Auth"]["DefaultAuthorizer"] == "AWS_IAM"


def test_api_function_is_told_the_live_stage_and_its_page_may_connect_only_there():
    env = stack().function_environment("ApiFunction")
    assert env["LIVE_URL"] == "wss://s-LiveApi.execute-api.us-east-1.amazonaws.com/live"
    policy = security_headers(ApiSettings.from_env(env))["Content-Security-Policy"]
    assert "connect-src 'self' wss://s-LiveApi.execute-api.us-east-1.amazonaws.com https://cognito-idp." in policy


def test_live_stage_writes_a_json_access_log_without_headers_or_query_to_a_retained_group():
    settings = RESOURCES["LiveStage"]["Properties"]["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": ["LiveAccessLogs", "Arn"]}
    group = RESOURCES["LiveAccessLogs"]
    assert group["Type"] == "AWS::Logs::LogGroup" and group["Properties"]["RetentionInDays"] > 0
    assert json.loads(settings["Format"]) == {
        "requestId": "$context.requestId",
        "connectionId": "$context.connectionId",
        "routeKey": "$context.routeKey",
        "eventType": "$context.eventType",
        "status": "$context.status",
        "ip": "$context.identity.sourceIp",
        "caller": "$context.identity.userArn",
        "requestTime": "$context.requestTime",
    }


def test_alarm_state_changes_reach_the_ingest_function_with_retries_and_a_dlq_eventbridge_may_write():
    function = FUNCTIONS["AlarmIngestFunction"]["Properties"]
    props = function["Events"]["AlarmStateChanges"]["Properties"]
    assert props["Pattern"] == {
        "source": ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change", "CloudWatch Alarm Contributor State Change"],
    }
    assert props["State"] == {"Fn::If": ["IngestsAlarms", "ENABLED", "DISABLED"]}  # IngestAlarms=none: no events
    dlq = {"Fn::GetAtt": ["AlarmIngestDeadLetterQueue", "Arn"]}
    assert props["RetryPolicy"]["MaximumRetryAttempts"] >= 1 and props["DeadLetterConfig"]["Arn"] == dlq
    invoke = function["EventInvokeConfig"]  # an event the function fails: two more runs, then the DLQ
    assert invoke["MaximumRetryAttempts"] == 2 and invoke["DestinationConfig"]["OnFailure"]["Destination"] == dlq
    (statement,) = RESOURCES["AlarmIngestDeadLetterQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == {
        "Fn::GetAtt": ["AlarmIngestFunctionAlarmStateChanges", "Arn"]  # the rule SAM makes of the event
    }


def test_every_eventbridge_dead_letter_queue_lets_its_rule_write():
    """SAM gives a rule's DLQ no policy when it names the queue: without one, EventBridge's
    undeliverable events are lost instead of kept."""
    for logical_id, function in FUNCTIONS.items():
        for name, event in function["Properties"].get("Events", {}).items():
            queue = event["Properties"].get("DeadLetterConfig", {}).get("Arn")
            if event["Type"] not in ("Schedule", "EventBridgeRule", "CloudWatchEvent") or queue is None:
                continue
            rule = {"Fn::GetAtt": [f"{logical_id}{name}", "Arn"]}
            allowed = [
                statement
                for policy in RESOURCES.values()
                if policy["Type"] == "AWS::SQS::QueuePolicy"
                for statement in policy["Properties"]["PolicyDocument"]["Statement"]
                if statement["Resource"] == queue and statement["Condition"]["ArnEquals"]["aws:SourceArn"] == rule
            ]
            assert [s["Principal"] for s in allowed] == [{"Service": "events.amazonaws.com"}], (logical_id, name)


@pytest.mark.parametrize(
    ("value", "prefixes"), [("all", None), ("none", ()), ("orders-, payments-", ("orders-", "payments-"))]
)
def test_ingest_alarms_reaches_the_function_as_its_selection(value: str, prefixes: tuple[str, ...] | None):
    fake = stack()
    fake.parameters["IngestAlarms"] = value

    settings = AlarmIngestSettings.from_env(fake.function_environment("AlarmIngestFunction"))

    assert AlarmSelection.parse(settings.ingest_alarms).prefixes == prefixes


def test_ingest_api_is_public_throttled_and_logs_no_path():
    """Keyed by the function, not IAM; the stage bounds every integration together; a ping's key
    rides in the path, so neither the access log nor a trace records it."""
    api = RESOURCES["IngestApi"]["Properties"]
    assert "Auth" not in api and not api.get("TracingEnabled")
    (throttle,) = api["MethodSettings"]
    assert throttle["ResourcePath"] == "/*" and throttle["HttpMethod"] == "*"
    assert throttle["ThrottlingRateLimit"] >= int(TEMPLATE["Parameters"]["IngestRateLimit"]["Default"])
    assert "$context.path" not in api["AccessLogSetting"]["Format"]
    (event,) = FUNCTIONS["IngestApiFunction"]["Properties"]["Events"].values()
    assert event["Properties"] == {"RestApiId": {"Ref": "IngestApi"}, "Path": "/{proxy+}", "Method": "ANY"}


def test_ingest_rate_parameters_reach_the_ingest_api():
    fake = stack()
    fake.parameters.update(IngestRateLimit="7", IngestBurst="9")

    settings = IngestApiSettings.from_env(fake.function_environment("IngestApiFunction"))

    assert (settings.ingest_rate_limit, settings.ingest_burst) == (7, 9)
