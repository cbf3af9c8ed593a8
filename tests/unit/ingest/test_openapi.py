"""The ingest API's OpenAPI document says each protocol's door: how its key is sent, and the
refusals every keyed path may answer, in the protocol's own error shape."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel

from ingest.api import IngestApp, Protocol
from ingest.errors import ErrorShape, Refusal
from ingest.gate import PATH, Door
from ingest.routes import new_router


class Theirs(BaseModel):
    status: str


def render(refusal: Refusal) -> Response[str]:
    return Response(status_code=refusal.status, body='{"status": "no"}')


header, path = new_router(), new_router()


@header.post("/alerts")
def post_alerts() -> dict[str, str]:
    return {}


@path.get("/<key>")
def ping(key: str) -> dict[str, str]:
    return {}


DOCUMENT = IngestApp(
    (
        Protocol("/api", header, Door(), ErrorShape(render, "Theirs", Theirs.model_json_schema())),
        Protocol("/ping", path, Door(PATH)),
    )
).document("test")


def test_a_header_keyed_path_names_bearer_and_basic_and_its_refusals_in_its_shape() -> None:
    operation = DOCUMENT["paths"]["/api/alerts"]["post"]

    assert operation["security"] == [{"bearer": []}, {"basic": []}]
    assert {"401", "403", "413", "429"} <= set(operation["responses"])
    assert operation["responses"]["429"]["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    refused = operation["responses"]["401"]["content"]["application/json"]["schema"]
    assert refused == {"$ref": "#/components/schemas/Theirs"}
    assert set(DOCUMENT["components"]["securitySchemes"]) == {"bearer", "basic"}


def test_a_path_keyed_path_needs_no_scheme_and_the_document_itself_no_key() -> None:
    ping_operation = DOCUMENT["paths"]["/ping/{key}"]["get"]
    document = DOCUMENT["paths"]["/openapi.json"]["get"]

    assert "security" not in ping_operation and "401" in ping_operation["responses"]
    assert "security" not in document and "401" not in document["responses"]
    schemas = DOCUMENT["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "IngestError" in schemas
