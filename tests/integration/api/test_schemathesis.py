"""schemathesis, an OpenAPI fuzzer nobody here wrote, against `make serve`'s web front: every
operation of /openapi.json with its schema's examples, its boundary cases (schemathesis'
coverage phase) and fuzzed requests, valid and invalid. No answer may be a 5xx.

The suite's run is bounded (a few examples an operation); a longer run, as in docs/api.md:
`make serve`, then `schemathesis run http://127.0.0.1:3000/openapi.json --checks not_a_server_error`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from alerting_local.serve import Runtime, web_front
from alerting_local.stack import LocalStack
from api.handler import openapi_document

EXAMPLES = 5  # fuzzed requests an operation; its examples and boundary cases (most of the ~4,500) come on top


@pytest.fixture(scope="module")
def front() -> Iterator[str]:
    with LocalStack(overrides={"LogLevel": "ERROR"}) as local, web_front(Runtime(local), quiet=True) as url:
        local.seed_default_rules()  # ids that exist, beside the ones schemathesis makes up
        yield url.rstrip("/")


# The document the front serves at /openapi.json, built in-process at collection (schemathesis'
# lazy `from_fixture` loader does not run under pytest 9); the tests then call the running front.
DOCUMENT = json.loads(openapi_document("test"))
schema = schemathesis.openapi.from_dict(DOCUMENT)


def test_the_front_serves_the_document_the_fuzzer_reads(front: str) -> None:
    served = requests.get(f"{front}/openapi.json", timeout=10).json()
    assert {**served, "info": DOCUMENT["info"]} == DOCUMENT  # all but the deployment's version


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_with_a_server_error(case: schemathesis.Case, front: str) -> None:
    response = case.call(base_url=front)
    case.validate_response(response, checks=[not_a_server_error])
