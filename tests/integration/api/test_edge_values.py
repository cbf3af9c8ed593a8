"""Valid-looking input at the edges of its type is a 4xx naming the field, never a 500: dates near
year 1 or 9999, page tokens holding numbers DynamoDB cannot, If-Match headers that are digits to
Python but not versions, metric-math constants past a float's range."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alerting.models.common import iso
from tests.integration.api.test_oncall import SCHEDULE, people  # noqa: F401 (a fixture)
from tests.integration.api.test_rules import spec

RANGE = "must be from 1900-01-01T00:00:00Z to before 9000-01-01T00:00:00Z"
NEAR_YEAR_1 = "0001-01-01T00:00:00+05:00"  # before year 1 once in UTC
NEAR_YEAR_9999 = "9999-12-31T23:59:59-05:00"  # after 9999 once in UTC


def fields(reply: Any) -> list[str]:
    return [e["field"] for e in reply.body["errors"]]


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/alerts", {"since": NEAR_YEAR_1}, "since"),
        ("/alerts", {"until": NEAR_YEAR_9999}, "until"),
        ("/alerts", {"since": "0001-01-01T00:00:00Z"}, "since"),
        ("/summary", {"since": NEAR_YEAR_1}, "since"),
        ("/summary", {"since": "9999-12-31T00:00:00Z"}, "since"),
        ("/schedules/primary/oncall", {"at": NEAR_YEAR_9999}, "at"),
        ("/schedules/primary/oncall", {"at": "0001-01-01T00:00:00Z"}, "at"),
        ("/rules/cpu/datapoints", {"end": "0001-01-01T01:00:00Z"}, "end"),  # end less three hours: before year 1
        ("/rules/cpu/datapoints", {"start": "9999-12-31T23:00:00Z"}, "start"),
        ("/rules/cpu/datapoints", {"start": NEAR_YEAR_1, "end": NEAR_YEAR_9999}, "start"),
    ],
)
def test_a_date_query_parameter_near_year_1_or_9999_is_422_naming_it(api, path, query, field):
    api.post("/rules", spec(rule_id="cpu"))

    reply = api.get(path, query)

    assert reply.status == 422, reply.body
    assert fields(reply)[0] == field


def _silence(**dates: str) -> dict[str, Any]:
    return {"matchers": [{"label": "service", "value": "pay"}], "created_by": "alice", **dates}


def _schedule(**change: Any) -> dict[str, Any]:
    return {**SCHEDULE, **change}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/silences", _silence(ends_at="9999-12-31T23:59:59Z"), "ends_at"),  # its retention would pass 9999
        ("/silences", _silence(ends_at=NEAR_YEAR_9999), "ends_at"),
        ("/silences", _silence(starts_at=NEAR_YEAR_1, ends_at="2999-01-01T00:00:00Z"), "starts_at"),
        ("/schedules", _schedule(rotation={**SCHEDULE["rotation"], "starts_at": "0001-01-01T00:00:00"}), None),
        ("/schedules", _schedule(rotation={**SCHEDULE["rotation"], "starts_at": "9999-12-31T23:00:00"}), None),
        (
            "/schedules",
            _schedule(overrides=[{"participant": "bob-sms", "starts_at": NEAR_YEAR_1, "ends_at": NEAR_YEAR_9999}]),
            "overrides.0.starts_at",
        ),
    ],
)
def test_a_date_field_near_year_1_or_9999_is_422_naming_it(api, people, path, body, field):  # noqa: F811
    reply = api.post(path, body)

    assert reply.status == 422, reply.body
    assert fields(reply)[0] == (field or "rotation.starts_at")
    assert RANGE in reply.body["errors"][0]["message"] or "out of range" in reply.body["errors"][0]["message"]


def test_dates_at_the_edges_of_the_range_are_accepted_and_read_back(api, people):  # noqa: F811
    far = api.post("/silences", _silence(ends_at="8999-12-31T23:59:59Z"))
    assert far.status == 201, far.body
    assert api.get(f"/silences/{far.body['silence_id']}").body["ends_at"] == "8999-12-31T23:59:59Z"
    assert api.get("/silences", {"state": "active"}).status == 200
    early = {**SCHEDULE["rotation"], "starts_at": "1900-01-01T00:00:00", "shift": {"every": 1000, "unit": "weeks"}}
    assert api.post("/schedules", _schedule(rotation=early)).status == 201
    on_call = api.get("/schedules/primary/oncall", {"at": "1900-01-01T00:00:00Z"})
    assert on_call.status == 200  # the stretch around it began before 1900
    assert on_call.body["from"] < "1900-01-01T00:00:00Z" <= on_call.body["until"]
    for query in ({"since": "1900-01-01T00:00:00Z"}, {"until": "8999-12-31T23:59:59Z"}):
        assert api.get("/alerts", query).status == 200


# -- page tokens ------------------------------------------------------------------------------------


def _forged(token: str, value: str) -> str:
    """``token`` with every value of its key replaced by the JSON text ``value`` (its listing kept)."""
    data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    key = ", ".join(f"{json.dumps(name)}: {value}" for name in data["k"])
    raw = f'{{"l": {json.dumps(data["l"])}, "k": {{{key}}}}}'
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize("value", ["1e999", "-1e999", "NaN", "Infinity", "1" + "0" * 40, "1e-200", "[[[[1]]]]"])
@pytest.mark.parametrize("path", ["/rules", "/alerts", "/silences"])
def test_a_page_token_holding_a_number_dynamodb_cannot_is_400_naming_it(api, store, path, value):
    # Given a real token of the listing, its key changed by the client
    for n in range(2):
        api.post("/rules", spec(rule_id=f"cpu-{n}"))
        api.post("/silences", _silence(ends_at=iso(datetime.now(UTC) + timedelta(hours=1))))
    if path == "/alerts":
        store.fire(store.rules.get("cpu-0"))
        store.fire(store.rules.get("cpu-1"))
    token = api.get(path, {"limit": "1"}).body["next_token"]
    assert token

    reply = api.get(path, {"limit": "1", "next_token": _forged(token, value)})

    assert reply.status == 400, reply.body
    assert fields(reply) == ["next_token"]


# -- If-Match ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "\u0661",  # an Arabic-Indic one: int() reads it, and the stored version is 1
        '"\u0661"',
        "²",  # a digit to str.isdigit(), an error to int()
        "1" * 5000,  # past int()'s 4,300 digits
        'W/"' + "9" * 4000 + '"',
    ],
)
def test_an_if_match_that_is_no_ascii_version_is_400_naming_it(api, header):
    api.post("/rules", spec(rule_id="cpu"))

    reply = api.put("/rules/cpu", spec(name="CPU hot"), headers={"If-Match": header})

    assert reply.status == 400, reply.body
    assert fields(reply) == ["If-Match"]
    assert api.get("/rules/cpu").body["version"] == 1  # unchanged


# -- metric math ------------------------------------------------------------------------------------


@pytest.mark.parametrize("expression", ["errors * 1e999", "errors / 1" + "0" * 400])
def test_a_metric_math_constant_past_a_floats_range_is_422_when_saved(api, expression):
    condition = {
        "expression": expression,
        "metrics": {"errors": {"namespace": "App", "name": "Errors", "statistic": "Sum"}},
        "operator": "gt",
        "threshold": 5,
    }

    reply = api.post("/rules", spec(conditions=[condition]))

    assert reply.status == 422, reply.body
    assert fields(reply) == ["conditions.0.expression"]
    assert "too large" in reply.body["errors"][0]["message"]
