"""Turn pydantic errors into (field, message) pairs: the one way the API and the CLI report them."""

from __future__ import annotations

from pydantic import ValidationError

from alerting.models.rules import CROSS_FIELD_ERRORS


def field_errors(exc: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """Each error names its field; a cross-field error names every field involved."""
    out: list[tuple[str, str]] = []
    for error in exc.errors():
        location = ".".join(str(p) for p in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        related = CROSS_FIELD_ERRORS.get(message)
        if related is None:
            out.append((prefix + (location or "body"), message))
            continue
        out.extend((prefix + (f"{location}.{name}" if location else name), message) for name in related)
    return out
