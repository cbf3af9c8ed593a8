"""The dashboard's three roles, checked on the template as CloudFormation receives it (after the
SAM transform): each IAM role allows only its methods and paths of the REST API, as API Gateway
matches `execute-api:Invoke` on `<api>/<stage>/<METHOD>/<path>` (an explicit Deny wins; `*` spans
`/`). Cognito groups name the roles, and the identity pool takes a user's role from their token."""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from typing import Any

import pytest

from tests.infrastructure.test_iam import _listed, _statements, _transformed

API = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${AlertingApi}/v1/"
CONFIGURATION = [
    "rules",
    "channels",
    "routes",
    "integrations",
    "heartbeats",
    "escalation-policies",
    "schedules",
    "mute-windows",
    "inhibitions",
]
ALERT_ACTIONS = [("POST", "/alerts/a1/ack"), ("POST", "/alerts/a1/unack"), ("POST", "/alerts/a1/resolve")]
SILENCE_WRITES = [("POST", "/silences"), ("DELETE", "/silences/s1")]
CONFIG_WRITES = [
    (method, path)
    for kind in CONFIGURATION
    for method, path in (("POST", f"/{kind}"), ("PUT", f"/{kind}/x1"), ("DELETE", f"/{kind}/x1"))
] + [("POST", "/integrations/x1/rotate"), ("POST", "/channels/x1/test"), ("POST", "/rules/test")]


def _operations() -> list[tuple[str, str]]:
    """Every operation of the API's OpenAPI document, its path parameters filled in."""
    from api.handler import openapi_document

    paths = json.loads(openapi_document("test"))["paths"]
    return sorted((m.upper(), re.sub(r"\{[a-z_]+\}", "x1", p)) for p, ops in paths.items() for m in ops)


OPERATIONS = _operations()
READS = [(m, p) for m, p in OPERATIONS if m == "GET" and p != "/audit"] + [("GET", "/"), ("GET", "/ui/app.js")]


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        return dict(_transformed()["Resources"])


def _may(resources: dict[str, Any], role: str, method: str, path: str) -> bool:
    request = f"{API}{method}{path}"
    decisions = {"Allow": False, "Deny": False}
    for statement in _statements(resources, f"Dashboard{role.capitalize()}Role"):
        if any(fnmatchcase(request, r["Fn::Sub"]) for r in _listed(statement["Resource"])):
            decisions[statement["Effect"]] = True
    return decisions["Allow"] and not decisions["Deny"]


@pytest.mark.parametrize(("method", "path"), READS)
def test_every_role_reads(resources, method, path):
    assert all(_may(resources, role, method, path) for role in ("viewer", "responder", "admin"))


@pytest.mark.parametrize(("method", "path"), ALERT_ACTIONS + SILENCE_WRITES + CONFIG_WRITES)
def test_a_viewer_writes_nothing(resources, method, path):
    assert not _may(resources, "viewer", method, path)


@pytest.mark.parametrize(("method", "path"), ALERT_ACTIONS + SILENCE_WRITES)
def test_a_responder_acts_on_alerts_and_silences(resources, method, path):
    assert _may(resources, "responder", method, path)


def test_of_the_documents_writes_a_responder_may_only_act_on_alerts_and_silences(resources):
    writes = [(m, p) for m, p in OPERATIONS if m != "GET"]
    assert not any(_may(resources, "viewer", m, p) for m, p in writes)
    assert {(m, p) for m, p in writes if _may(resources, "responder", m, p)} == {
        ("POST", "/alerts/x1/ack"),
        ("POST", "/alerts/x1/unack"),
        ("POST", "/alerts/x1/resolve"),
        ("POST", "/silences"),
        ("DELETE", "/silences/x1"),
    }
    assert all(_may(resources, "admin", m, p) for m, p in OPERATIONS)


@pytest.mark.parametrize(("method", "path"), CONFIG_WRITES)
def test_a_responder_changes_no_configuration_and_an_admin_does(resources, method, path):
    assert not _may(resources, "responder", method, path)
    assert _may(resources, "admin", method, path)


@pytest.mark.parametrize("path", ["/audit", "/audit/x"])
def test_the_audit_log_is_for_admins_only(resources, path):
    assert [_may(resources, role, "GET", path) for role in ("viewer", "responder", "admin")] == [False, False, True]


def test_every_role_may_open_the_live_stream(resources):
    live = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${LiveApi}/live/$connect"
    for role in ("Viewer", "Responder", "Admin"):
        arns = [r["Fn::Sub"] for s in _statements(resources, f"Dashboard{role}Role") for r in _listed(s["Resource"])]
        assert live in arns


def test_groups_map_to_the_roles_through_the_users_token(resources):
    groups = {
        r["Properties"]["GroupName"]: (r["Properties"]["RoleArn"], r["Properties"]["Precedence"])
        for r in resources.values()
        if r["Type"] == "AWS::Cognito::UserPoolGroup"
    }
    assert groups == {
        "viewer": ({"Fn::GetAtt": ["DashboardViewerRole", "Arn"]}, 2),
        "responder": ({"Fn::GetAtt": ["DashboardResponderRole", "Arn"]}, 1),
        "admin": ({"Fn::GetAtt": ["DashboardAdminRole", "Arn"]}, 0),  # the lowest precedence wins
    }
    attachment = resources["DashboardIdentityPoolRoles"]["Properties"]
    assert [m["Type"] for m in attachment["RoleMappings"].values()] == ["Token"]
    assert attachment["Roles"] == {"authenticated": {"Fn::GetAtt": ["DashboardViewerRole", "Arn"]}}
