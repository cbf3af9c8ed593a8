"""The dashboard's roles, locally: an `X-Local-Role: viewer|responder|admin` header (or `make
serve ARGS=--role ...`) signs the request as a Cognito user of that role, and API Gateway's IAM
check is applied with the role's statements read from template.yaml (`Dashboard<Role>Role`):
what the local front lets a role do is what AWS would. Never read on AWS: API Gateway builds
the request context there, from the signature."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from functools import cache
from typing import Any

from alerting_local.template import ACCOUNT, load_template

ROLE_HEADER = "x-local-role"
ROLES = ("viewer", "responder", "admin")
API_PREFIX = "${AlertingApi}/v1/"
POOL = "cognito-idp.us-east-1.amazonaws.com/us-east-1_local"


def role_in(headers: dict[str, str] | None) -> str | None:
    return next((v.strip().lower() for k, v in (headers or {}).items() if k.lower() == ROLE_HEADER), None)


def identity(role: str) -> dict[str, Any]:
    """The request context's identity of a signed-in dashboard user of ``role`` (user `local-<role>`)."""
    return {
        "sourceIp": "127.0.0.1",
        "cognitoIdentityPoolId": "us-east-1:local",
        "cognitoIdentityId": f"us-east-1:local-{role}",
        "cognitoAuthenticationType": "authenticated",
        "cognitoAuthenticationProvider": f"{POOL},{POOL}:CognitoSignIn:local-{role}",
        "userArn": f"arn:aws:sts::{ACCOUNT}:assumed-role/alerting-Dashboard{role.capitalize()}Role-LOCAL/"
        "CognitoIdentityCredentials",
        "caller": f"AROALOCAL{role.upper()}:CognitoIdentityCredentials",
    }


def sign_in(event: dict[str, Any], role: str | None) -> dict[str, Any] | None:
    """``event`` as signed by ``role`` (none: the local IAM user, allowed everything); the 403
    API Gateway answers when that role may not call it, else None."""
    if role is None:
        return None
    if role not in ROLES:
        return _refused(f"X-Local-Role must be one of {', '.join(ROLES)}")
    event["requestContext"]["identity"] = identity(role)
    method, path = event["httpMethod"], event["path"]
    if allowed(role, method, path):
        return None
    arn = event["requestContext"]["identity"]["userArn"]
    resource = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:local/v1/{method}{path}"
    return _refused(f"User: {arn} is not authorized to perform: execute-api:Invoke on resource: {resource}")


def allowed(role: str, method: str, path: str) -> bool:
    """IAM's answer for the role's statements: an explicit Deny wins, else some Allow must match."""
    request = f"{method.upper()}/{path.lstrip('/')}"
    allows, denies = statements(role)
    if any(fnmatchcase(request, pattern) for pattern in denies):
        return False
    return any(fnmatchcase(request, pattern) for pattern in allows)


@cache
def statements(role: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The role's REST API patterns (`GET/*`, `POST/alerts/*/ack`...), allowed and denied."""
    resource = load_template()["Resources"][f"Dashboard{role.capitalize()}Role"]
    found: dict[str, list[str]] = {"Allow": [], "Deny": []}
    for policy in resource["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            listed = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for arn in (r["Fn::Sub"] for r in listed):
                if API_PREFIX in arn:
                    found[statement["Effect"]].append(arn.split(API_PREFIX, 1)[1])
    return tuple(found["Allow"]), tuple(found["Deny"])


def _refused(message: str) -> dict[str, Any]:
    return {
        "statusCode": 403,
        "headers": {"Content-Type": "application/json", "x-amzn-ErrorType": "AccessDeniedException"},
        "body": json.dumps({"message": message}),
    }
