"""Least privilege, checked on the template as CloudFormation receives it (after the SAM
transform): no managed policies, no action wildcards, `Resource: "*"` only where AWS offers no
resource-level permission, and each function's actions on the resources it uses."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from samtranslator.translator.transform import transform

from alerting_local.template import load_template

# Actions that take no resource ARN (AWS documents no resource types for them).
UNSCOPABLE = {
    "cloudwatch:GetMetricData",  # metrics are not resources
    "cloudwatch:ListMetrics",  # fleet discovery: no resource types either
    "xray:PutTraceSegments",  # tracing (Tracing: Active)
    "xray:PutTelemetryRecords",
}
# Actions AWS documents as needing `Resource: "*"` for part of what they do.
STAR_REQUIRED = {
    "cloudwatch:DescribeAlarms",  # composite alarms are described only to a permission scoped to *
}
# The one statement that names every resource of a type: an alarm's tags, for every alarm of the
# stack's account and region (IngestAlarms and the alerting:ignore tag choose among them later).
EVERY_ALARM = {"Fn::Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*"}


class _NoManagedPolicies:
    """The translator's managed-policy lookup: the template names none, so it is never asked."""

    def load(self) -> dict[str, str]:
        return {}


def _transformed() -> dict[str, Any]:
    template = load_template()  # a fresh copy
    for resource in template["Resources"].values():
        for key in ("CodeUri", "ContentUri"):  # sam build uploads these; the transform wants S3
            if key in resource.get("Properties", {}):
                resource["Properties"][key] = "s3://bucket/key"
    result: dict[str, Any] = transform(template, {"AWS::Region": "us-east-1"}, _NoManagedPolicies())
    return result


@pytest.fixture(scope="module")
def resources(monkeypatch_module: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch_module.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return dict(_transformed()["Resources"])


@pytest.fixture(scope="module")
def monkeypatch_module() -> Any:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def role_actions(function: str) -> set[str]:
    """Every action the function's role allows (any resource): what the demo's calls must fit."""
    resources = dict(_transformed()["Resources"])
    role = resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]
    return {a for statement in _statements(resources, role) for a in _listed(statement["Action"])}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(resources: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in resources[role]["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def _roles(resources: dict[str, Any]) -> list[str]:
    return sorted(k for k, v in resources.items() if v["Type"] == "AWS::IAM::Role")


def _actions_on(resources: dict[str, Any], role: str, resource: Any) -> set[str]:
    return {
        action
        for statement in _statements(resources, role)
        if resource in _listed(statement.get("Resource"))
        for action in _listed(statement["Action"])
    }


def test_every_function_has_its_own_role_and_no_managed_policy(resources: dict[str, Any]) -> None:
    functions = {k: v for k, v in resources.items() if v["Type"] == "AWS::Lambda::Function"}
    roles = {json.dumps(f["Properties"]["Role"]) for f in functions.values()}
    assert len(roles) == len(functions) == 9
    for role in _roles(resources):
        assert not resources[role]["Properties"].get("ManagedPolicyArns"), role


def test_no_action_wildcard_and_star_resources_only_where_unscopable(resources: dict[str, Any]) -> None:
    for role in _roles(resources):
        for statement in _statements(resources, role):
            actions = _listed(statement["Action"])
            assert statement["Effect"] == "Allow"
            assert all("*" not in action for action in actions), (role, actions)
            assert "NotAction" not in statement
            if "NotResource" in statement:  # SMS: Publish to a phone number, never to a topic
                assert actions == ["sns:Publish"] and "Resource" not in statement, (role, statement)
                assert statement["NotResource"] == {"Fn::Sub": "arn:${AWS::Partition}:sns:*:*:*"}
            if "*" in _listed(statement.get("Resource")):
                assert set(actions) <= UNSCOPABLE | STAR_REQUIRED, (role, actions)
            if statement.get("Resource") == EVERY_ALARM:
                assert actions == ["cloudwatch:ListTagsForResource"], (role, actions)
                continue
            # no account-wide patterns such as arn:aws:sns:*:123456789012:*
            text = json.dumps(statement.get("Resource"))
            assert ":*:" not in text and not text.endswith(':*"'), (role, text)


def test_notifier_reads_only_the_alerts_stream_and_the_retry_queue(resources: dict[str, Any]) -> None:
    stream = {"Fn::Sub": "${AlertsTable.Arn}/stream/*"}
    retry_queue = {"Fn::GetAtt": ["DeliveryRetryQueue", "Arn"]}
    assert _actions_on(resources, "NotifierRole", stream) == {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    }
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage"} <= _actions_on(resources, "NotifierRole", retry_queue)


@pytest.mark.parametrize("role", ["NotifierRole", "ApiRole"])
def test_publish_only_to_the_stacks_topic_or_allowed_ones_and_mail_only_from_allowed_senders(
    resources: dict[str, Any], role: str
) -> None:
    by_action = {a: s for s in _statements(resources, role) if "Resource" in s for a in _listed(s["Action"])}
    assert by_action["sns:Publish"]["Resource"] == {
        "Fn::If": [
            "HasAllowedTopics",
            {"Fn::Split": [",", {"Fn::Join": [",", [{"Ref": "AlertsTopic"}, {"Ref": "AllowedTopicArns"}]]}]},
            {"Ref": "AlertsTopic"},
        ]
    }
    assert "ses:SendRawEmail" not in by_action
    assert "ses:FromAddress" in by_action["ses:SendEmail"]["Condition"]["StringEquals"]


@pytest.mark.parametrize(
    ("senders", "allowed"),
    [("", True), ("team@example.com", True), ("team@example.com,Ops@example.com", True), ("a@x.com, b@x.com", False)],
)
def test_other_email_senders_take_no_spaces_so_the_iam_condition_names_what_the_functions_compare(
    senders: str, allowed: bool
) -> None:
    # `!Split` keeps a space in the condition's value; the functions would compare the address
    # without it, accept it and then fail every send
    pattern = load_template()["Parameters"]["OtherEmailSenders"]["AllowedPattern"]

    assert (re.fullmatch(pattern, senders) is not None) is allowed


def test_api_has_only_the_dynamodb_actions_it_calls(resources: dict[str, Any]) -> None:
    def on(table: str) -> set[str]:
        actions = _actions_on(resources, "ApiRole", {"Fn::GetAtt": [table, "Arn"]})
        return {a for a in actions if a.startswith("dynamodb:")}

    assert (
        on("ConfigTable") - {"dynamodb:BatchGetItem", "dynamodb:UpdateItem"}
        == on("StateTable")
        == {
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:DeleteItem",
            "dynamodb:Query",
        }
    )
    assert "dynamodb:BatchGetItem" in on("ConfigTable")
    (generations,) = [
        s for s in _statements(resources, "ApiRole") if "dynamodb:UpdateItem" in _listed(s["Action"])
    ]  # config writes bump their kind's generation: the meta partition only
    assert generations["Condition"] == {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["meta"]}}
    assert on("AlertsTable") == {"dynamodb:GetItem", "dynamodb:PutItem"}
    assert on("AlertLogTable") == {"dynamodb:PutItem", "dynamodb:Query"}


def test_user_data_survives_the_stack_and_history_can_be_restored(resources: dict[str, Any]) -> None:
    for table in ("ConfigTable", "AlertsTable", "AlertLogTable"):
        assert resources[table]["DeletionPolicy"] == resources[table]["UpdateReplacePolicy"] == "Retain"
    for table in ("ConfigTable", "StateTable", "AlertsTable", "AlertLogTable"):
        assert resources[table]["Properties"]["PointInTimeRecoverySpecification"] == {
            "PointInTimeRecoveryEnabled": True
        }


def test_each_api_stage_writes_access_logs(resources: dict[str, Any]) -> None:
    settings = {
        v["Properties"]["RestApiId"]["Ref"]: v["Properties"]["AccessLogSetting"]
        for v in resources.values()
        if v["Type"] == "AWS::ApiGateway::Stage"
    }
    assert {api: setting["DestinationArn"] for api, setting in settings.items()} == {
        "AlertingApi": {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]},
        "IngestApi": {"Fn::GetAtt": ["IngestAccessLogs", "Arn"]},
    }
    assert all("$context.requestId" in setting["Format"] for setting in settings.values())


@pytest.mark.parametrize(
    ("role", "table", "actions"),
    [
        # fleet rules: their series (evaluator) and dry runs of them (API)
        ("EvaluatorRole", "*", {"cloudwatch:ListMetrics", "cloudwatch:GetMetricData"}),
        ("ApiRole", "*", {"cloudwatch:ListMetrics", "cloudwatch:GetMetricData"}),
        # the sweep reads open alerts by status, policies and silences
        ("EvaluatorRole", {"Fn::Sub": "${AlertsTable.Arn}/index/by-status"}, {"dynamodb:Query"}),
        ("EvaluatorRole", {"Fn::GetAtt": ["ConfigTable", "Arn"]}, {"dynamodb:Query", "dynamodb:GetItem"}),
        # a fanned-out tick plans from the rules' items (a projected Query) and its sweep reads
        # the rules of the open alerts alone
        ("EvaluatorRole", {"Fn::GetAtt": ["ConfigTable", "Arn"]}, {"dynamodb:BatchGetItem"}),
        # the heartbeat sweep: the minutes' due entries, the heartbeats found there, what each said last
        ("EvaluatorRole", {"Fn::GetAtt": ["AlertLogTable", "Arn"]}, {"dynamodb:GetItem"}),
        # the notifier reads channels, breakers, policies and schedules, and lists silences,
        # mute windows and inhibitions; earlier deliveries of an alert; open alerts (inhibition)
        ("NotifierRole", {"Fn::GetAtt": ["ConfigTable", "Arn"]}, {"dynamodb:Query", "dynamodb:GetItem"}),
        ("NotifierRole", {"Fn::GetAtt": ["AlertLogTable", "Arn"]}, {"dynamodb:Query", "dynamodb:GetItem"}),
        ("NotifierRole", {"Fn::Sub": "${AlertsTable.Arn}/index/by-status"}, {"dynamodb:Query"}),
        # grouping: the groups waiting for their message, and each member alert as it is now
        ("NotifierRole", {"Fn::GetAtt": ["ConfigTable", "Arn"]}, {"dynamodb:UpdateItem"}),
        ("NotifierRole", {"Fn::GetAtt": ["AlertsTable", "Arn"]}, {"dynamodb:GetItem"}),
        # a transition's channels and breakers, and its targets' ledger records, in batches
        ("NotifierRole", {"Fn::GetAtt": ["ConfigTable", "Arn"]}, {"dynamodb:BatchGetItem"}),
        ("NotifierRole", {"Fn::GetAtt": ["AlertLogTable", "Arn"]}, {"dynamodb:BatchGetItem"}),
    ],
)
def test_functions_may_read_what_the_lifecycle_reads(
    resources: dict[str, Any], role: str, table: Any, actions: set[str]
) -> None:
    assert actions <= _actions_on(resources, role, table)


def test_only_the_notifier_and_the_ingest_api_read_the_ack_link_secret_and_only_that_secret(
    resources: dict[str, Any],
) -> None:
    """The notifier signs acknowledge links with the stack's secret, the ingest API checks them:
    GetSecretValue on that one secret (generated at deploy time), for them alone."""
    secret = {"Ref": "AckLinkSecret"}
    readers = {role for role in _roles(resources) if _actions_on(resources, role, secret)}
    assert readers == {"NotifierRole", "IngestApiRole"}
    for role in _roles(resources):
        for statement in _statements(resources, role):
            if any(a.startswith("secretsmanager:") for a in _listed(statement["Action"])):
                assert (statement["Action"], statement["Resource"]) == ("secretsmanager:GetSecretValue", secret)
    generated = resources["AckLinkSecret"]["Properties"]
    assert "SecretString" not in generated and generated["GenerateSecretString"]["PasswordLength"] >= 32


def test_live_view_roles_reach_only_their_table_their_stream_and_their_stage(resources: dict[str, Any]) -> None:
    connections = {"Fn::GetAtt": ["ConnectionsTable", "Arn"]}
    assert _actions_on(resources, "LiveConnectionsRole", connections) == {
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    }
    assert _actions_on(resources, "BroadcasterRole", connections) == {"dynamodb:Scan", "dynamodb:DeleteItem"}
    manage = [
        s for s in _statements(resources, "BroadcasterRole") if "execute-api:ManageConnections" in _listed(s["Action"])
    ]
    stage = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${LiveApi}/live"
    assert [s["Resource"] for s in manage] == [{"Fn::Sub": stage + "/POST/@connections/*"}]
    stream = {"Fn::Sub": "${AlertsTable.Arn}/stream/*"}
    assert _actions_on(resources, "BroadcasterRole", stream) == {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    }


def test_dashboard_users_may_only_call_this_stacks_apis_and_only_signed_in(resources: dict[str, Any]) -> None:
    apis = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
    for role in ("DashboardViewerRole", "DashboardResponderRole", "DashboardAdminRole"):  # test_roles: which paths
        statements = _statements(resources, role)
        assert {a for s in statements for a in _listed(s["Action"])} == {"execute-api:Invoke"}
        arns = [r["Fn::Sub"] for s in statements for r in _listed(s["Resource"])]
        assert all(a.startswith((apis + "${AlertingApi}/v1/", apis + "${LiveApi}/live/$connect")) for a in arns)
        assert apis + "${LiveApi}/live/$connect" in arns
        trust = resources[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
        assert trust["Condition"]["ForAnyValue:StringLike"] == {"cognito-identity.amazonaws.com:amr": "authenticated"}
    assert resources["DashboardIdentityPool"]["Properties"]["AllowUnauthenticatedIdentities"] is False
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::ApiGatewayV2::Route"
    }
    assert routes["$connect"]["AuthorizationType"] == "AWS_IAM"


def test_only_the_dashboards_static_files_are_served_without_iam(resources: dict[str, Any]) -> None:
    paths = resources["AlertingApi"]["Properties"]["Body"]["paths"]
    security = {(path, method): op.get("security") for path, ops in paths.items() for method, op in ops.items()}
    assert security == {
        ("/{proxy+}", "x-amazon-apigateway-any-method"): [{"AWS_IAM": []}],
        ("/", "get"): [{"NONE": []}],
        ("/ui/{file}", "get"): [{"NONE": []}],
    }


def test_evaluator_workers_read_state_through_the_bucket_index_never_a_scan(resources: dict[str, Any]) -> None:
    state = {"Fn::GetAtt": ["StateTable", "Arn"]}
    assert "dynamodb:Scan" not in _actions_on(resources, "EvaluatorWorkerRole", state)
    index = {"Fn::Sub": "${StateTable.Arn}/index/by-bucket"}
    assert _actions_on(resources, "EvaluatorWorkerRole", index) == {"dynamodb:Query"}
    queue = {"Fn::GetAtt": ["EvaluationShardQueue", "Arn"]}
    assert _actions_on(resources, "EvaluatorRole", queue) == {"sqs:SendMessage"}
    assert "sqs:SendMessage" not in _actions_on(resources, "EvaluatorWorkerRole", queue)
    assert _routes_only(resources, "EvaluatorWorkerRole")  # a shard's alerts go where the routes say


def _config_queries(resources: dict[str, Any], role: str) -> list[Any]:
    """The conditions of the role's Queries of the config table."""
    config = {"Fn::GetAtt": ["ConfigTable", "Arn"]}
    statements = _statements(resources, role)
    return [s["Condition"] for s in statements if s["Resource"] == config and "dynamodb:Query" in _listed(s["Action"])]


def _routes_only(resources: dict[str, Any], role: str) -> bool:
    """The role's Query of the routes reads the routes and their generation, nothing else."""
    (query,) = [c for c in _config_queries(resources, role) if "route" in json.dumps(c)]
    return query == {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["route", "meta"]}}


def test_alarm_ingest_reads_alarms_and_writes_only_alerts(resources: dict[str, Any]) -> None:
    """Beyond its log group, tracing and DLQ: DescribeAlarms and ListTagsForResource, the alert
    items the lifecycle reads and writes, and the routes (no other config, no series state, no
    stream)."""
    actions = {a for s in _statements(resources, "AlarmIngestRole") for a in _listed(s["Action"])}
    assert actions == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "cloudwatch:DescribeAlarms",
        "cloudwatch:ListTagsForResource",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "sqs:SendMessage",
    }
    assert _routes_only(resources, "AlarmIngestRole")
    # and the cloudwatch integration: the integrations, nothing else of the config
    assert len(_config_queries(resources, "AlarmIngestRole")) == 2
    assert {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["integration"]}} in _config_queries(
        resources, "AlarmIngestRole"
    )
    assert _actions_on(resources, "AlarmIngestRole", EVERY_ALARM) == {"cloudwatch:ListTagsForResource"}
    assert _actions_on(resources, "AlarmIngestRole", "*") == {
        "cloudwatch:DescribeAlarms",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }
    for table in ("AlertsTable", "AlertLogTable"):
        assert _actions_on(resources, "AlarmIngestRole", {"Fn::GetAtt": [table, "Arn"]}) == {
            "dynamodb:GetItem",
            "dynamodb:PutItem",
        }
    queue = {"Fn::GetAtt": ["AlarmIngestDeadLetterQueue", "Arn"]}
    assert _actions_on(resources, "AlarmIngestRole", queue) == {"sqs:SendMessage"}


def test_ingest_api_reads_keys_and_integrations_and_writes_only_its_buckets_and_alerts(
    resources: dict[str, Any],
) -> None:
    """The public ingest API: a key's owner and the integration or heartbeat it names (GetItem),
    its token buckets (UpdateItem on quota items), the routes (Query), a heartbeat's pings (its
    state and due entry), the Alertmanager API's silences, inhibitions and open alerts, an
    acknowledge link's claims and its one use, a Slack button's channel and its signing secret,
    nothing else of the config, the alert items the lifecycle reads and writes, and a series'
    state (a rule's alert resolved from Slack forgets its breaches); no Scan, no stream, no queue."""
    config = {"Fn::GetAtt": ["ConfigTable", "Arn"]}
    statements = _statements(resources, "IngestApiRole")
    actions = {a for s in statements for a in _listed(s["Action"])}
    assert actions == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
        "dynamodb:DeleteItem",
        "dynamodb:BatchGetItem",
        "secretsmanager:GetSecretValue",  # the acknowledge links' key
        "ssm:GetParameter",  # a Slack channel's signing secret
    }
    on_config = {
        tuple(_listed(s["Action"])): (*s["Condition"], *next(iter(s["Condition"].values()))["dynamodb:LeadingKeys"])
        for s in statements
        if s["Resource"] == config
    }
    assert on_config == {
        ("dynamodb:GetItem",): (
            "ForAllValues:StringEquals",
            *("key", "integration", "heartbeat", "heartbeat-state"),
            "ack-link",  # an acknowledge link's claims
            "channel",  # whose Slack button was clicked
        ),
        ("dynamodb:PutItem",): ("ForAllValues:StringEquals", "once"),  # a link's one use
        ("dynamodb:UpdateItem",): ("ForAllValues:StringEquals", "quota", "meta"),  # meta: a silence's generation
        ("dynamodb:Query",): ("ForAllValues:StringEquals", "route", "meta"),
        # a heartbeat's ping: its state, and its due entry moved
        ("dynamodb:PutItem", "dynamodb:DeleteItem"): ("ForAllValues:StringLike", "heartbeat-state", "heartbeat-due#*"),
        # the Alertmanager API's silences (read and written) and inhibitions (read)
        ("dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem"): (
            "ForAllValues:StringEquals",
            "silence",
            "inhibition",
        ),
    }
    for table in ("AlertsTable", "AlertLogTable"):
        assert _actions_on(resources, "IngestApiRole", {"Fn::GetAtt": [table, "Arn"]}) - {"dynamodb:BatchGetItem"} == {
            "dynamodb:GetItem",
            "dynamodb:PutItem",
        }
    # the Alertmanager API's alerts: the open ones, and what Prometheus said last of each
    by_status = {"Fn::Sub": "${AlertsTable.Arn}/index/by-status"}
    assert _actions_on(resources, "IngestApiRole", by_status) == {"dynamodb:Query"}
    log = {"Fn::GetAtt": ["AlertLogTable", "Arn"]}
    assert "dynamodb:BatchGetItem" in _actions_on(resources, "IngestApiRole", log)
    assert _actions_on(resources, "IngestApiRole", {"Fn::GetAtt": ["StateTable", "Arn"]}) == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
    }
    channels = {
        "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${AWS::StackName}/channels/*"
    }
    assert _actions_on(resources, "IngestApiRole", channels) == {"ssm:GetParameter"}
