"""Custom resource: writes the default rules on deploy, leaving rules users have edited alone."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from alerting import wiring
from alerting.defaults import default_rules, parse_dimensions
from alerting.errors import AlreadyExists
from alerting.kinds import RULE
from alerting.models.common import utcnow
from alerting.models.rules import Rule
from alerting.repositories.config import ConfigRepository
from alerting.settings import Settings

logger = Logger()


def seed(rules: ConfigRepository[Rule], namespace: str, dimensions: str) -> list[str]:
    """Create each default rule that does not exist yet; return the ids created."""
    created = []
    now = utcnow()
    for rule in default_rules(namespace, parse_dimensions(dimensions)):
        try:
            rules.create(rule.model_copy(update={"created_at": now, "updated_at": now}))
            created.append(rule.rule_id)
        except AlreadyExists:
            continue
    return created


def respond(event: dict[str, Any], status: str, reason: str, data: dict[str, Any]) -> None:
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason[:500],
            "PhysicalResourceId": event.get("PhysicalResourceId", "default-rules"),
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "Data": data,
        }
    ).encode()
    request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT", headers={"Content-Type": ""})
    with urllib.request.urlopen(request, timeout=10):
        pass


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext, rules: ConfigRepository[Rule] | None = None) -> None:
    """``rules``: a test's own; by default the deployment's, built from the environment."""
    try:
        created: list[str] = []
        if event["RequestType"] in ("Create", "Update"):
            props = event.get("ResourceProperties", {})
            repository = rules or wiring.config(Settings.from_env(), RULE)
            created = seed(repository, props["Namespace"], props.get("Dimensions", ""))
        logger.info("default rules seeded", extra={"rules_created": created})
        respond(event, "SUCCESS", "ok", {"Created": ",".join(created)})
    except Exception as exc:  # a custom resource must answer, or the stack waits an hour
        logger.exception("seeding failed")
        respond(event, "FAILED", f"{type(exc).__name__}: {exc}", {})
