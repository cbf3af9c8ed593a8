"""Pydantic errors → (field, message) pairs: the one way the API and the CLI name bad fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from alerting.models.rules import CROSS_FIELD_ERRORS

_MESSAGE_PREFIXES = ("Value error, ", "Assertion failed, ")


def field_errors(errors: Iterable[Mapping[str, Any]], prefix: str = "") -> list[tuple[str, str]]:
    """Each error names its field (a bad map key names the map); a cross-field error names
    every field involved, relative to the object whose validator raised it."""
    out: list[tuple[str, str]] = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        message = str(error.get("msg", "invalid"))
        for strip in _MESSAGE_PREFIXES:
            message = message.removeprefix(strip)
        if loc[-1:] == ["[key]"]:
            loc, message = loc[:-2], f"key {loc[-2]!r}: {message}"
        location = ".".join(loc)
        related = CROSS_FIELD_ERRORS.get(message)
        if related is None:
            out.append((prefix + (location or "body"), message))
            continue
        out.extend((prefix + (f"{location}.{name}" if location else name), message) for name in related)
    return out
