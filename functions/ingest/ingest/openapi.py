"""The ingest API's OpenAPI document: what Powertools makes of its routes, with each protocol's
door said in it (its security schemes, its 401/403/413/429 and their body) and no Powertools
error body left (ours, or the protocol's own, stands in)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, content_types

from ingest.errors import INGEST_ERRORS, MAX_BODY_BYTES, ErrorShape
from ingest.gate import Door

TITLE = "Serverless Alerting ingest API"
DESCRIPTION = (
    "Where outside systems send alerts and heartbeats. Every path below a protocol's prefix takes a key: "
    "`Authorization: Bearer <key>`, basic auth with the key as the password, or the path itself (`/ping/<key>`). "
    f"Bodies are at most {MAX_BODY_BYTES} bytes; each integration has its own request rate (429 with `Retry-After`)."
)
SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "An integration's key"},
    "basic": {"type": "http", "scheme": "basic", "description": "Any user name, and an integration's key as password"},
}
POWERTOOLS_ERRORS = ("HTTPValidationError", "ResponseValidationError", "ValidationError")
REFUSALS = {
    "401": "No key, or one that is unknown or revoked",
    "403": "The key's integration is disabled, or not of a type this path takes",
    "413": f"The body is over {MAX_BODY_BYTES} bytes",
    "429": "The integration's request rate is used up; retry after `Retry-After` seconds",
}


class Documented(Protocol):
    """What the document needs of a protocol (`ingest.api.Protocol`)."""

    @property
    def prefix(self) -> str: ...
    @property
    def door(self) -> Door: ...
    @property
    def errors(self) -> ErrorShape: ...


def document(resolver: APIGatewayRestResolver, protocols: Sequence[Documented], version: str) -> dict[str, Any]:
    text = resolver.get_openapi_json_schema(title=TITLE, version=version, description=DESCRIPTION)
    for own in POWERTOOLS_ERRORS[:2]:  # Powertools' 422 and 500: ours instead, named per protocol below
        text = text.replace(f'"#/components/schemas/{own}"', f'"#/components/schemas/{INGEST_ERRORS.name}"')
    found: dict[str, Any] = json.loads(text)
    components = found.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in POWERTOOLS_ERRORS:
        schemas.pop(name, None)
    _add_schema(schemas, INGEST_ERRORS)
    components["securitySchemes"] = SCHEMES
    for path, operations in found.get("paths", {}).items():
        protocol = next((p for p in protocols if under(path, p.prefix)), None)
        for operation in operations.values():
            operation["responses"].get("204", {}).pop("content", None)  # a 204 has no body
            if protocol is not None and protocol.door.key is not None:  # a signed protocol says its own answers
                _keyed(operation, protocol, schemas)
    return found


def under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _keyed(operation: dict[str, Any], protocol: Documented, schemas: dict[str, Any]) -> None:
    shape = protocol.errors
    _add_schema(schemas, shape)
    body = {"content": {content_types.APPLICATION_JSON: {"schema": {"$ref": f"#/components/schemas/{shape.name}"}}}}
    if protocol.door.key and protocol.door.key.schemes:
        operation["security"] = [{scheme: []} for scheme in protocol.door.key.schemes]
    responses = operation["responses"]
    for status, description in REFUSALS.items():
        responses.setdefault(status, {"description": description, **body})
    responses["429"]["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds"}}
    text = json.dumps(responses).replace(
        f'"#/components/schemas/{INGEST_ERRORS.name}"', f'"#/components/schemas/{shape.name}"'
    )
    operation["responses"] = json.loads(text)


def _add_schema(schemas: dict[str, Any], shape: ErrorShape) -> None:
    schema = json.loads(json.dumps(shape.schema).replace('"#/$defs/', '"#/components/schemas/'))
    schemas.update(schema.pop("$defs", {}))
    schemas[shape.name] = schema
