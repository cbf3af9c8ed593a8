"""/escalation-policies: who hears of an alert nobody acknowledges, level by level."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from alerting.models.common import Page, utcnow
from alerting.models.policies import EscalationPolicy, EscalationPolicySpec
from api.dependencies import services
from api.routes import DEFAULT_LIMIT, Id, IfMatch, Limit, NextToken, new_router
from api.schemas import EscalationPolicyUpdate

router = new_router()
TAGS = ["escalation policies"]


@router.post("/escalation-policies", status_code=201, tags=TAGS, summary="Create an escalation policy")
def create_policy(spec: EscalationPolicySpec) -> EscalationPolicy:
    return services().policies.create(spec, utcnow())


@router.get("/escalation-policies", tags=TAGS, summary="List escalation policies")
def list_policies(limit: Limit = DEFAULT_LIMIT, next_token: NextToken = None) -> Page[EscalationPolicy]:
    return services().policies.page(limit, next_token)


@router.get("/escalation-policies/<policy_id>", tags=TAGS, summary="Get an escalation policy")
def get_policy(policy_id: Id) -> EscalationPolicy:
    return services().policies.get(policy_id)


@router.put("/escalation-policies/<policy_id>", tags=TAGS, summary="Replace a policy (needs the version you read)")
def update_policy(policy_id: Id, body: EscalationPolicyUpdate, if_match: IfMatch = None) -> EscalationPolicy:
    return services().policies.update(policy_id, body, if_match, utcnow())


@router.delete("/escalation-policies/<policy_id>", status_code=204, tags=TAGS, summary="Delete an unused policy")
def delete_policy(policy_id: Id) -> Response[None]:
    services().policies.delete(policy_id)
    return Response(status_code=204)
