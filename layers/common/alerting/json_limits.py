"""JSON that arrives from outside (a request body, a WebSocket message, a queue message), parsed
within limits: ``json.loads`` recurses once per level of nesting, so a deep enough document ends
in a ``RecursionError`` instead of an answer, and it refuses integers of more than 4,300 digits
with a ``ValueError`` that is not a ``JSONDecodeError``.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64  # far deeper than any resource or message


def depth_exceeds(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects in ``text`` nest deeper than ``limit`` (brackets inside
    strings do not count). Linear, without recursion."""
    if text.count("[") + text.count("{") <= limit:  # the common case: nothing to scan
        return False
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def loads(text: str | bytes, limit: int = MAX_DEPTH) -> Any:
    """The JSON value of ``text``; a ValueError whose message says what is wrong otherwise."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("is not UTF-8 text") from None
    if depth_exceeds(text, limit):
        raise ValueError(f"is nested deeper than {limit} levels")
    try:
        return json.loads(text)
    except ValueError as exc:  # JSONDecodeError, and integers past the digit limit
        raise ValueError(f"is not JSON ({str(exc)[:80]})") from None
