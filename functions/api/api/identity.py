"""Who is calling, from API Gateway's request context (IAM authorization: API Gateway has
checked the signature and the caller's `execute-api:Invoke` permission before we run).

- A dashboard user signed in through the Cognito identity pool: `cognito:<user pool sub>`
  (the provider string ends in `:CognitoSignIn:<sub>`), else `cognito:<identity id>`; the role
  is that of the identity-pool role their group maps to (`Dashboard<Role>Role` in its name).
- Any other IAM principal: its ARN (`arn:aws:iam::...:user/alice`, or an assumed role's
  session); its role is whatever its own IAM policy allows
  (None here: the dashboard then shows everything, and API Gateway refuses what is not allowed).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Role = Literal["viewer", "responder", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "responder", "admin")
# CloudFormation names a role `<stack>-<logical id>-<suffix>`; its session ARN carries that name.
_ROLE_NAME = re.compile(r":assumed-role/[^/]*Dashboard(Viewer|Responder|Admin)Role[^/]*/")
_SIGN_IN = ":CognitoSignIn:"


@dataclass(frozen=True)
class Caller:
    actor: str
    role: Role | None


def caller_of(request_context: Mapping[str, Any]) -> Caller:
    identity = request_context.get("identity") or {}
    arn = identity.get("userArn") or identity.get("caller") or ""
    return Caller(actor=_actor(identity, arn), role=role_of(arn))


def _actor(identity: Mapping[str, Any], arn: str) -> str:
    provider = identity.get("cognitoAuthenticationProvider") or ""
    if _SIGN_IN in provider:
        return "cognito:" + provider.rsplit(_SIGN_IN, 1)[1]
    if identity.get("cognitoIdentityId"):
        return "cognito:" + str(identity["cognitoIdentityId"])
    return arn or "anonymous"


def role_of(arn: str) -> Role | None:
    found = _ROLE_NAME.search(arn)
    if found is None:
        return None
    role: Role = found.group(1).lower()  # type: ignore[assignment]  # one of the three by the pattern
    return role
