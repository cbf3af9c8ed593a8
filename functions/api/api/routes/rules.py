"""/rules: CRUD with optimistic concurrency, dry runs against current metrics, backtests over past ones."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from alerting.defaults import parse_dimensions
from alerting.kinds import RULE
from alerting.models.common import Page, Severity, UtcDatetime, utcnow
from alerting.models.rules import Rule, RuleSpec
from api.dependencies import services
from api.routes import DEFAULT_LIMIT, Id, IfMatch, Limit, NextToken, audited, caller, new_router
from api.routes.crud import CREATE, GET, Resource, add_routes
from api.schemas import RuleDatapoints, RuleTestResult, RuleUpdate
from api.schemas.backtests import BacktestRange, BacktestResult, UnsavedBacktest
from api.services.rules import RuleFilter, parse_labels

router = new_router()
RULES = Resource(RULE, "rule", "rules", "rules")
TAGS = [RULES.tag]
add_routes(router, RULES, (CREATE, GET))  # listing, replacing and deleting a rule do more: below


@router.get("/rules", tags=TAGS, summary="List rules")
def list_rules(
    limit: Limit = DEFAULT_LIMIT,
    next_token: NextToken = None,
    enabled: Annotated[bool | None, Query()] = None,
    severity: Annotated[Severity | None, Query()] = None,
    label: Annotated[list[str] | None, Query(description="key:value, repeatable; all must match")] = None,
) -> Page[Rule]:
    filters = RuleFilter(enabled=enabled, severity=severity, labels=parse_labels(label or []))
    return services().rules.page(filters, limit, next_token)


@router.post("/rules/test", tags=TAGS, summary="Dry-run a posted rule against current metrics")
def test_posted_rule(spec: RuleSpec) -> RuleTestResult:
    rule = Rule.from_spec(spec, rule_id=spec.rule_id or "dry-run")
    return services().tester.run(rule, utcnow(), with_state=spec.rule_id is not None)


@router.post(
    "/rules/backtest", tags=TAGS, summary="Backtest a posted rule over a past range (an edit: against the saved one)"
)
def backtest_posted_rule(body: UnsavedBacktest) -> BacktestResult:
    return services().backtests.unsaved(body, utcnow())


@router.put("/rules/<rule_id>", tags=TAGS, summary="Replace a rule (needs the version you read)")
def update_rule(rule_id: Id, body: RuleUpdate, if_match: IfMatch = None) -> Rule:
    before = services().rules.get(rule_id)
    replaced = services().rules.update(rule_id, body, if_match, caller(router), utcnow())
    audited(router, "update", f"rule/{rule_id}", before=before, after=replaced)
    return replaced


@router.delete("/rules/<rule_id>", status_code=204, tags=TAGS, summary="Delete a rule and end its alerts")
def delete_rule(rule_id: Id) -> Response[None]:
    services().rules.delete(rule_id, caller(router), utcnow())
    audited(router, "delete", f"rule/{rule_id}")
    return Response(status_code=204)


@router.post("/rules/<rule_id>/test", tags=TAGS, summary="Dry-run a stored rule against current metrics")
def test_rule(rule_id: Id) -> RuleTestResult:
    svc = services()
    return svc.tester.run(svc.rules.get(rule_id), utcnow(), with_state=True)


@router.post("/rules/<rule_id>/backtest", tags=TAGS, summary="Backtest a stored rule over a past range")
def backtest_rule(rule_id: Id, body: BacktestRange) -> BacktestResult:
    return services().backtests.saved(rule_id, body, utcnow())


@router.get(
    "/rules/<rule_id>/datapoints", tags=TAGS, summary="The rule's metric over a time range, with its thresholds"
)
def rule_datapoints(
    rule_id: Id,
    start: Annotated[UtcDatetime | None, Query(description="ISO-8601; default 3 hours before end")] = None,
    end: Annotated[UtcDatetime | None, Query(description="ISO-8601; default now")] = None,
    series: Annotated[
        str | None, Query(max_length=2048, description="A fleet rule's series: its wildcard dimensions, Name=Value,...")
    ] = None,
) -> RuleDatapoints:
    svc = services()
    return svc.datapoints.read(svc.rules.get(rule_id), start, end, parse_dimensions(series or "", "series"), utcnow())
