"""The actor and role of a request, from API Gateway's request context: a Cognito sign-in (its
user pool sub), an identity without a provider string, an IAM user or an assumed role; the role
of a dashboard user from the identity-pool role their group maps to."""

from __future__ import annotations

import pytest

from api.identity import Caller, caller_of

POOL = "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC"
SUB = "7f3c1c2e-0a1b-4c5d-9e8f-001122334455"


def _cognito(role_name: str) -> dict[str, object]:
    return {
        "identity": {
            "cognitoIdentityId": "eu-west-1:1111-2222",
            "cognitoAuthenticationType": "authenticated",
            "cognitoAuthenticationProvider": f"{POOL},{POOL}:CognitoSignIn:{SUB}",
            "userArn": f"arn:aws:sts::123456789012:assumed-role/{role_name}/CognitoIdentityCredentials",
            "caller": "AROAXYZ:CognitoIdentityCredentials",
        }
    }


@pytest.mark.parametrize(
    ("role_name", "role"),
    [
        ("alerting-DashboardViewerRole-1A2B3C", "viewer"),
        ("alerting-DashboardResponderRole-1A2B3C", "responder"),
        ("alerting-DashboardAdminRole-1A2B3C", "admin"),
        ("someone-elses-role", None),
    ],
)
def test_caller_of_a_cognito_sign_in_is_its_user_pool_sub_with_its_groups_role(role_name, role):
    assert caller_of(_cognito(role_name)) == Caller(actor=f"cognito:{SUB}", role=role)


def test_caller_of_a_cognito_identity_without_a_provider_is_the_identity_id():
    context = {"identity": {"cognitoIdentityId": "eu-west-1:1111-2222", "userArn": None}}
    assert caller_of(context) == Caller(actor="cognito:eu-west-1:1111-2222", role=None)


@pytest.mark.parametrize(
    "identity",
    [
        {"userArn": "arn:aws:iam::123456789012:user/alice", "caller": "AIDAXYZ"},
        {"userArn": None, "caller": "arn:aws:iam::123456789012:user/alice"},
    ],
)
def test_caller_of_an_iam_user_is_its_arn_and_its_own_policy_decides(identity):
    assert caller_of({"identity": identity}) == Caller(actor="arn:aws:iam::123456789012:user/alice", role=None)


def test_caller_of_an_assumed_role_names_its_session():
    arn = "arn:aws:sts::123456789012:assumed-role/deployer/ci-run-42"
    assert caller_of({"identity": {"userArn": arn}}).actor == arn


def test_a_role_name_elsewhere_in_the_arn_gives_no_role():
    arn = "arn:aws:sts::123456789012:assumed-role/ci/DashboardAdminRole"  # a session name, not the role
    assert caller_of({"identity": {"userArn": arn}}).role is None


def test_caller_of_no_identity_is_anonymous():
    assert caller_of({}) == Caller(actor="anonymous", role=None)
