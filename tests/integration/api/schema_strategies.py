"""Hypothesis strategies from the API's own OpenAPI document (JSON Schema 2020-12 subset).

Enough of JSON Schema for what pydantic emits for our models: $ref, anyOf/oneOf/allOf, const,
enum, the scalar types with their bounds and patterns, arrays and objects.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from hypothesis import strategies as st

JSON_SCALARS = (
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats(allow_nan=False) | st.text(max_size=20)
)
ANY_JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def from_schema(schema: dict[str, Any], components: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that satisfy `schema` (mostly: patterns and bounds are honoured, formats loosely)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return st.deferred(lambda: from_schema(components[name], components))
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            return st.one_of([from_schema(s, components) for s in schema[combinator]])
    if "allOf" in schema:
        return from_schema(schema["allOf"][0], components)
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": k}, components) for k in kind])
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(schema.get("minimum", -(10**6)), schema.get("maximum", 10**6))
    if kind == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False)
    if kind == "string":
        return _string(schema)
    if kind == "array":
        items = from_schema(schema.get("items", {}), components)
        low = schema.get("minItems", 0)
        return st.lists(items, min_size=low, max_size=min(schema.get("maxItems", low + 3), low + 3))
    if kind == "object" or "properties" in schema:
        return _object(schema, components)
    return ANY_JSON


def _string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    if schema.get("format") == "date-time":
        return st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat())
    low, high = schema.get("minLength", 0), min(schema.get("maxLength", 40), 40)
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True).filter(lambda s: low <= len(s) <= high)
    return st.text(min_size=low, max_size=max(low, high))


def _object(schema: dict[str, Any], components: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    fixed = st.fixed_dictionaries(
        {k: from_schema(v, components) for k, v in properties.items() if k in required},
        optional={k: from_schema(v, components) for k, v in properties.items() if k not in required},
    )
    extra = schema.get("additionalProperties", not properties)
    if extra is False:
        return fixed
    values = ANY_JSON if extra is True else from_schema(extra, components)
    more = st.dictionaries(st.text(min_size=0, max_size=10), values, max_size=min(schema.get("maxProperties", 3), 3))
    return st.tuples(more, fixed).map(lambda pair: {**pair[0], **pair[1]})
