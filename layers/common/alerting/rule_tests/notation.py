"""promtool's expanding notation for datapoints (`50 60 90x5 _ 40`) and its durations (`10m`)."""

from __future__ import annotations

import math
import re
from datetime import timedelta

_UNSIGNED = r"(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TERM = re.compile(rf"^(?P<start>[-+]?{_UNSIGNED})(?:(?P<sign>[-+])(?P<step>{_UNSIGNED}))?(?:x(?P<times>\w*))?$")
_DURATION = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


class NotationError(ValueError):
    """A malformed `values` string; ``offset`` is where in it."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


def expand(values: str) -> list[float | None]:
    """promtool's expanding notation → one value (or None for `_`) per datapoint."""
    out: list[float | None] = []
    for match in re.finditer(r"\S+", values):
        out += _term(match.group(), match.start())
    return out


def _term(token: str, offset: int) -> list[float | None]:
    if token == "stale":
        raise NotationError("CloudWatch has no staleness marker: write _ for a missing datapoint", offset)
    if token == "_" or token.startswith("_x"):
        count = _count(token[2:], offset + 2) if token != "_" else 1
        return [None] * count
    term = _TERM.match(token)
    if term is None:
        raise NotationError(f"{token!r} is not a number, _, a+bxn, a-bxn or axn", offset)
    start = float(term.group("start"))
    step = float(term.group("step") or 0) * (-1 if term.group("sign") == "-" else 1)
    if not math.isfinite(start) or not math.isfinite(step):
        raise NotationError(f"{token!r}: CloudWatch takes finite numbers only", offset)
    if term.group("times") is None:
        if term.group("step") is not None:
            raise NotationError(f"{token!r}: a step needs a count, e.g. {token}x4", offset)
        return [start]
    times = _count(term.group("times"), offset + term.start("times"))
    return [start + i * step for i in range(times + 1)]


def _count(text: str, offset: int) -> int:
    if not text.isdigit():
        raise NotationError(f"x must be followed by a whole number of repeats, not {text!r}", offset)
    return int(text)


def parse_duration(value: object) -> timedelta:
    """`10m`, `1h30m`, `90s`, `2d`, `1w`: what promtool's durations look like."""
    match = _DURATION.match(value) if isinstance(value, str) and value else None
    if match is None or not any(match.groups()):
        raise ValueError("a duration such as 10m, 1h30m or 90s")
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
