"""A `SIGNED` protocol takes no key: its requests reach its routes without the door asking the
key store (each carries its own proof, which the route checks), and its OpenAPI operations name
no key and none of the door's refusals."""

from __future__ import annotations

import json

from alerting_local.lambda_runtime import LambdaContext
from ingest.api import IngestApp, Protocol
from ingest.gate import SIGNED
from ingest.routes import new_router
from tests.integration.api.client import api_event

signed = new_router()


@signed.post("/hook")
def hook() -> dict[str, str]:
    return {"checked": "by the route"}


APP = IngestApp((Protocol("/signed", signed, SIGNED),))


def test_a_signed_protocols_request_reaches_its_route_without_a_key() -> None:
    # No services are given: a door that asked the key store would fail here.
    response = APP.respond(api_event("POST", "/signed/hook", {}), LambdaContext("ingest"))

    assert (response["statusCode"], json.loads(response["body"])) == (200, {"checked": "by the route"})


def test_a_signed_protocols_operations_name_no_key_and_no_door_refusals() -> None:
    operation = APP.document("test")["paths"]["/signed/hook"]["post"]

    assert "security" not in operation
    assert not {"401", "403", "429"} & set(operation["responses"])
