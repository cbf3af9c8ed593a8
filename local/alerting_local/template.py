"""Read ``template.yaml`` and build its resources on moto: the template is the single source.

Tables (keys, indexes, streams), topics, queues and generated secrets are created from their
CloudFormation properties; each function's environment is its ``Environment`` merged over
``Globals``, with ``!Ref`` / ``!GetAtt`` / ``!Sub`` resolved to the local names. Nothing here
re-declares the system.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import string
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
ACCOUNT = "123456789012"


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that turns the short intrinsic tags into their long form."""


def _intrinsic(name: str):  # type: ignore[no-untyped-def]
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {name: value}

    return construct


for _tag in ("Ref", "Condition"):
    _CfnLoader.add_constructor(f"!{_tag}", _intrinsic(_tag))
for _tag in (
    "GetAtt",
    "Sub",
    "Join",
    "Select",
    "Split",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "FindInMap",
    "Base64",
    "GetAZs",
    "ImportValue",
):
    _CfnLoader.add_constructor(f"!{_tag}", _intrinsic(f"Fn::{_tag}"))


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as a fresh dict (callers may change it); parsed once per file version."""
    return copy.deepcopy(_parsed(path, path.stat().st_mtime_ns))


@cache
def _parsed(path: Path, _version: int) -> dict[str, Any]:
    with path.open() as handle:
        data: dict[str, Any] = yaml.load(handle, Loader=_CfnLoader)
    return data


@dataclass
class Stack:
    """The local names of every resource, as CloudFormation would resolve them."""

    name: str
    region: str
    template: dict[str, Any]
    parameters: dict[str, str]
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)

    def resources_of(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == kind}

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Ref":
                return self._ref(arg)
            if fn == "Fn::GetAtt":
                return self.attributes[(arg[0], arg[1])]
            if fn == "Fn::Sub":
                return self._sub(arg)
            if fn == "Fn::Join":
                return arg[0].join(str(self.resolve(v)) for v in arg[1])
            if fn == "Fn::If":
                return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])
        return {k: self.resolve(v) for k, v in value.items()}

    def condition(self, name: str) -> bool:
        """A template condition, as CloudFormation evaluates it for these parameters."""
        return self._truth(self.template.get("Conditions", {})[name])

    def _truth(self, expression: dict[str, Any]) -> bool:
        ((fn, arg),) = expression.items()
        if fn == "Condition":
            return self.condition(arg)
        if fn == "Fn::Equals":
            return bool(self.resolve(arg[0]) == self.resolve(arg[1]))
        if fn == "Fn::Not":
            return not self._truth(arg[0])
        if fn == "Fn::And":
            return all(self._truth(a) for a in arg)
        if fn == "Fn::Or":
            return any(self._truth(a) for a in arg)
        raise NotImplementedError(f"condition function {fn}")

    def _ref(self, name: str) -> str:
        pseudo = {
            "AWS::StackName": self.name,
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        return self.refs[name]

    def _sub(self, arg: Any) -> str:
        text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def replace(match: re.Match[str]) -> str:
            token = match.group(1)
            if token in extra:
                return str(self.resolve(extra[token]))
            if "." in token and not token.startswith("AWS::"):
                logical, attribute = token.split(".", 1)
                return self.attributes[(logical, attribute)]
            return self._ref(token)

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def function_environment(self, logical_id: str) -> dict[str, str]:
        """The function's environment: Globals merged with its own, intrinsics resolved."""
        globals_env = self.template.get("Globals", {}).get("Function", {}).get("Environment", {})
        own_env = self.template["Resources"][logical_id]["Properties"].get("Environment", {})
        merged = {**globals_env.get("Variables", {}), **own_env.get("Variables", {})}
        return {k: str(self.resolve(v)) for k, v in merged.items()}

    def handler_of(self, logical_id: str) -> str:
        return str(self.template["Resources"][logical_id]["Properties"]["Handler"])


def default_parameters(template: dict[str, Any]) -> dict[str, str]:
    return {k: str(v.get("Default", "")) for k, v in template.get("Parameters", {}).items()}


def create_stack(
    clients: Any,
    name: str = "alerting-local",
    region: str = "us-east-1",
    overrides: dict[str, str] | None = None,
    template: dict[str, Any] | None = None,
) -> Stack:
    """Create every table, topic and queue of the template; `clients(service)` gives a client."""
    template = template or load_template()
    stack = Stack(name, region, template, {**default_parameters(template), **(overrides or {})})
    dynamodb = clients("dynamodb")
    for logical, resource in stack.resources_of("AWS::DynamoDB::Table").items():
        table = f"{name}-{logical}"
        response = dynamodb.create_table(TableName=table, **_table_params(resource["Properties"]))
        if "TimeToLiveSpecification" in resource["Properties"]:
            dynamodb.update_time_to_live(
                TableName=table, TimeToLiveSpecification=resource["Properties"]["TimeToLiveSpecification"]
            )
        description = response["TableDescription"]
        stack.refs[logical] = table
        stack.attributes[(logical, "Arn")] = description["TableArn"]
        if "LatestStreamArn" in description:
            stack.attributes[(logical, "StreamArn")] = description["LatestStreamArn"]
    sns = clients("sns")
    for logical in stack.resources_of("AWS::SNS::Topic"):
        arn = sns.create_topic(Name=f"{name}-{logical}")["TopicArn"]
        stack.refs[logical] = arn
        stack.attributes[(logical, "TopicArn")] = arn
    sqs = clients("sqs")
    queues = stack.resources_of("AWS::SQS::Queue")
    for logical in queues:
        stack.attributes[(logical, "Arn")] = f"arn:aws:sqs:{region}:{ACCOUNT}:{name}-{logical}"
        stack.attributes[(logical, "QueueName")] = f"{name}-{logical}"
    for logical, resource in queues.items():  # visibility, retention and redrive as the template sets them
        url = sqs.create_queue(QueueName=f"{name}-{logical}", Attributes=_queue_attributes(stack, resource))["QueueUrl"]
        stack.refs[logical] = url
    vault = clients("secretsmanager")
    for logical, resource in stack.resources_of("AWS::SecretsManager::Secret").items():
        value = _generated_secret(resource["Properties"].get("GenerateSecretString", {}))
        stack.refs[logical] = vault.create_secret(Name=f"{name}-{logical}", SecretString=value)["ARN"]
    for logical in stack.resources_of("AWS::Serverless::Function"):
        stack.refs[logical] = f"{name}-{logical}"
        stack.attributes[(logical, "Arn")] = f"arn:aws:lambda:{region}:{ACCOUNT}:function:{name}-{logical}"
    for logical in stack.resources_of("AWS::Serverless::Api"):
        stack.refs[logical] = "local"
    for logical, resource in stack.template["Resources"].items():
        # Everything else (the WebSocket API, Cognito) has no local twin: a name that resolves.
        if "Condition" not in resource or stack.condition(resource["Condition"]):
            stack.refs.setdefault(logical, f"{name}-{logical}")
    return stack


def _table_params(props: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if "GlobalSecondaryIndexes" in props:
        params["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if "StreamSpecification" in props:
        params["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    return params


def _generated_secret(spec: dict[str, Any]) -> str:
    """What Secrets Manager generates for a template's ``GenerateSecretString`` (length, and
    whether punctuation is left out), from this machine's cryptographic randomness."""
    alphabet = string.ascii_letters + string.digits + ("" if spec.get("ExcludePunctuation") else string.punctuation)
    return "".join(secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32))))


def _queue_attributes(stack: Stack, resource: dict[str, Any]) -> dict[str, str]:
    props = resource.get("Properties", {})
    attributes = {k: str(props[k]) for k in ("VisibilityTimeout", "MessageRetentionPeriod") if k in props}
    if "RedrivePolicy" in props:
        attributes["RedrivePolicy"] = json.dumps(stack.resolve(props["RedrivePolicy"]))
    return attributes
