"""The dashboard's roles through the local stack: `X-Local-Role` signs a request as a Cognito user
of that role, and the role's statements in template.yaml decide as API Gateway would (403 before
the function runs); what a role may do, it does as itself (history and audit name it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from alerting_local.stack import LocalStack
from tests.factories import rule_data


@pytest.fixture(scope="module")
def local() -> Iterator[LocalStack]:
    with LocalStack(overrides={"LogLevel": "ERROR"}) as stack:
        stack.api("POST", "/rules", body=rule_data(rule_id="cpu"))
        yield stack


def _as(role: str) -> dict[str, str]:
    return {"X-Local-Role": role}


@pytest.mark.parametrize("role", ["viewer", "responder", "admin"])
def test_me_names_the_signed_in_user_and_role(local, role):
    assert local.api("GET", "/me", headers=_as(role)) == (200, {"actor": f"cognito:local-{role}", "role": role})


def test_a_viewer_reads_but_writes_nothing(local):
    assert local.api("GET", "/rules", headers=_as("viewer"))[0] == 200
    for method, path in [("POST", "/rules"), ("POST", "/alerts/x/ack"), ("POST", "/silences"), ("PUT", "/rules/cpu")]:
        status, body = local.api(method, path, body={}, headers=_as("viewer"))
        assert status == 403 and "not authorized to perform: execute-api:Invoke" in body["message"], (method, path)


def test_a_responder_acts_on_alerts_and_silences_but_changes_no_configuration(local):
    assert local.api("POST", "/alerts/nope/ack", body={}, headers=_as("responder"))[0] == 404  # let through
    assert local.api("POST", "/silences", body={}, headers=_as("responder"))[0] == 422  # let through
    refused = [("PUT", "/rules/cpu"), ("POST", "/channels"), ("DELETE", "/routes/x"), ("POST", "/integrations")]
    for method, path in refused:
        assert local.api(method, path, body={}, headers=_as("responder"))[0] == 403, (method, path)


def test_the_audit_log_is_for_admins_only(local):
    assert local.api("GET", "/audit", headers=_as("viewer"))[0] == 403
    assert local.api("GET", "/audit", headers=_as("responder"))[0] == 403
    status, page = local.api("GET", "/audit", headers=_as("admin"))
    assert status == 200 and page["items"][-1]["resource"] == "rule/cpu"


def test_an_admins_edit_is_theirs_in_the_audit_log(local):
    _, rule = local.api("GET", "/rules/cpu", headers=_as("admin"))
    assert local.api("PUT", "/rules/cpu", body={**rule, "name": "CPU!"}, headers=_as("admin"))[0] == 200
    entry = local.api("GET", "/audit", query={"resource": "rule/cpu"}, headers=_as("admin"))[1]["items"][0]
    assert (entry["actor"], entry["action"], entry["change"]["name"]["to"]) == ("cognito:local-admin", "update", "CPU!")


def test_an_unknown_role_is_refused(local):
    assert local.api("GET", "/rules", headers=_as("root"))[0] == 403
