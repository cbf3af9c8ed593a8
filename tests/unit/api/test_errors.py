"""Request validation errors → one entry per offending field; exceptions → status codes."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from pydantic import ValidationError

from alerting.errors import AlreadyExists, ConcurrentUpdate, Conflict, InvalidInput, NotFound
from alerting.models.rules import RuleSpec
from api.errors import InvalidFields, classify, malformed, request_errors
from tests.factories import condition, rule_data

EVENT = APIGatewayProxyEvent({"httpMethod": "GET", "path": "/x", "requestContext": {"requestId": "r"}})


def body_errors(**overrides: object) -> list[tuple[str, str]]:
    """Validate a rule body as the resolver does (locations under "body") and map the errors."""
    try:
        RuleSpec.model_validate(rule_data(**overrides))
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        return [(e.field, e.message) for e in request_errors(errors)]
    raise AssertionError("valid")


def test_field_errors_drop_the_source_and_join_the_path():
    assert body_errors(conditions=[condition(threshold="85")]) == [
        ("conditions.0.threshold", "Input should be a valid number")
    ]


def test_cross_field_errors_name_every_field_with_the_validator_message():
    assert body_errors(breaches_to_fire=3, out_of=2) == [
        ("breaches_to_fire", "breaches_to_fire must not exceed out_of"),
        ("out_of", "breaches_to_fire must not exceed out_of"),
    ]


def test_nested_cross_field_errors_are_relative_to_their_object():
    fields = [f for f, _ in body_errors(conditions=[condition("gt", 85), condition("gt", 85, resolve_threshold=90)])]
    assert fields == ["conditions.1.resolve_threshold", "conditions.1.threshold"]


@pytest.mark.parametrize(
    ("error", "field", "message"),
    [
        (
            {
                "type": "json_invalid",
                "loc": ("body", 3),
                "msg": "JSON decode error",
                "ctx": {"error": "Expecting value"},
            },
            "body",
            "invalid JSON: Expecting value",
        ),
        ({"type": "missing", "loc": ("body",), "msg": "Field required"}, "body", "a JSON body is required"),
        (
            {"type": "int_parsing", "loc": ("query", "limit"), "msg": "Input should be a valid integer"},
            "limit",
            "Input should be a valid integer",
        ),
        (
            {"type": "string_pattern_mismatch", "loc": ("path", "rule_id"), "msg": "String should match"},
            "rule_id",
            "String should match",
        ),
    ],
)
def test_request_errors_of_other_sources(error, field, message):
    assert [(e.field, e.message) for e in request_errors([error])] == [(field, message)]


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (
            RequestValidationError([{"type": "missing", "loc": ("body", "name"), "msg": "Field required"}]),
            HTTPStatus.UNPROCESSABLE_ENTITY,
        ),
        (InvalidFields([("target.url", "Field required")]), HTTPStatus.UNPROCESSABLE_ENTITY),
        (InvalidInput("since", "is in the future"), HTTPStatus.BAD_REQUEST),
        (NotFound("rule", "x"), HTTPStatus.NOT_FOUND),
        (NotFoundError(), HTTPStatus.NOT_FOUND),
        (AlreadyExists("rule", "x"), HTTPStatus.CONFLICT),
        (ConcurrentUpdate("lost"), HTTPStatus.CONFLICT),
        (Conflict("resolved"), HTTPStatus.CONFLICT),
        (KeyError("secret internals"), HTTPStatus.INTERNAL_SERVER_ERROR),
    ],
)
def test_classify_maps_every_error_kind(exc, status):
    assert classify(exc, EVENT)[0] is status


def test_classify_names_the_field_of_invalid_input_and_hides_unexpected_errors():
    assert classify(InvalidInput("since", "is in the future"), EVENT)[2][0].field == "since"
    assert classify(KeyError("secret internals"), EVENT)[1:] == ("internal error", [])


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        ('{"version": 1' + "0" * 4300 + "}", True),  # json.loads' ValueError, not a JSONDecodeError
        ('{"threshold": -' + "9" * 5000 + "}", True),
        ('{"name": "' + "1" * 5000 + '"}', False),  # digits in a string are text
        ('{"threshold": 1.' + "0" * 5000 + "}", False),  # a float has no digit limit
        ('{"version": 1' + "0" * 4299 + "}", False),  # 4,300 digits: json.loads reads it
    ],
)
def test_malformed_refuses_an_integer_json_loads_cannot_read(body, refused):
    found = malformed({"httpMethod": "POST", "body": body, "headers": {"Content-Type": "application/json"}})

    assert (found is not None) is refused
    if found:
        assert found[0] == HTTPStatus.BAD_REQUEST and [f.field for f in found[2]] == ["body"]
