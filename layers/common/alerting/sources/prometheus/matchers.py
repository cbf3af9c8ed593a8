"""Alertmanager's matchers and fingerprints, on our RE2 matchers (`alerting.models.silences`).

``parse_matcher`` reads the `filter` syntax amtool and karma send (`alertname="Disk"`,
`job=~"api|web"`, quotes optional), as Alertmanager 0.25's `labels.ParseMatcher` does;
``matches_filter`` applies `filter` matchers as its API does (an empty value matches a label
that is absent); ``fingerprint`` is Alertmanager's fingerprint of a label set (FNV-1a, 64 bits).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

from pydantic import ValidationError

from alerting.models.silences import Matcher, MatchOp
from alerting.sources.prometheus.shapes import AlertmanagerMatcher, WrittenMatcher

# '=~' before '=': otherwise '=' takes the '~' into the value (as Alertmanager's own pattern says)
FILTER = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*(.*?)\s*$", re.S)
ESCAPES = {"n": "\n", '"': '"', "\\": "\\"}
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
SEPARATOR = 0xFF


def parse_matcher(text: str) -> Matcher:
    """One matcher in Alertmanager's syntax; a ValueError says what is wrong with it."""
    found = FILTER.match(text)
    if found is None:
        raise ValueError(f"bad matcher format: {text}")
    name, op, raw = found.groups()
    quoted = raw.startswith('"')
    if quoted:
        raw = raw[1:]
    value, escaped = [], False
    for index, char in enumerate(raw):
        if escaped:
            escaped = False
            value.append(ESCAPES.get(char, "\\" + char))  # a spurious escape is a literal backslash
        elif char == "\\" and index < len(raw) - 1:
            escaped = True
        elif char == '"':
            if not quoted or index < len(raw) - 1:
                raise ValueError(f"matcher value contains unescaped double quote: {found.group(3)}")
            quoted = False
        else:
            value.append(char)
    if quoted:
        raise ValueError(f"matcher value contains unescaped double quote: {found.group(3)}")
    return checked(name, MatchOp(op), "".join(value))


def checked(name: str, op: MatchOp, value: str) -> Matcher:
    """Our matcher, or a ValueError saying why it cannot be one (a regex RE2 refuses, a limit)."""
    try:
        return Matcher(label=name, op=op, value=value)
    except ValidationError as exc:
        raise ValueError("; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())) from None


def parse_filters(texts: Iterable[str]) -> list[Matcher]:
    return [parse_matcher(text) for text in texts]


def matches_filter(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    """Alertmanager's `matchFilterLabels`: `name=""` also matches an alert without the label, and
    `name!=""` one with it, whatever its value."""
    for matcher in matchers:
        present = matcher.label in labels
        negative = matcher.op in (MatchOp.not_equal, MatchOp.not_regex)
        if matcher.value == "" and present == negative:
            continue
        if not matcher.matches(dict(labels)):
            return False
    return True


def fingerprint(labels: Mapping[str, str]) -> str:
    """Alertmanager's fingerprint of a label set (prometheus/common's `LabelSet.Fingerprint`):
    FNV-1a over the sorted names and values, each followed by a 0xff byte; 16 hex digits."""
    digest = FNV_OFFSET
    for name in sorted(labels):
        for part in (name, labels[name]):
            for byte in (*part.encode(), SEPARATOR):
                digest = ((digest ^ byte) * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return f"{digest:016x}"


# -- a silence's matchers ------------------------------------------------------------------------

OPS = {
    (False, True): MatchOp.equal,
    (False, False): MatchOp.not_equal,
    (True, True): MatchOp.regex,
    (True, False): MatchOp.not_regex,
}
FLAGS = {op: flags for flags, op in OPS.items()}


def ours(matcher: AlertmanagerMatcher) -> dict[str, str]:
    """An Alertmanager matcher as our matcher's fields (validated where the silence is)."""
    return {"label": matcher.name, "op": OPS[matcher.isRegex, matcher.isEqual].value, "value": matcher.value}


def theirs(matcher: Matcher) -> WrittenMatcher:
    is_regex, is_equal = FLAGS[matcher.op]
    return WrittenMatcher(name=matcher.label, value=matcher.value, isRegex=is_regex, isEqual=is_equal)


def written(matcher: Matcher) -> str:
    """As Alertmanager writes a matcher in its configuration: `team="payments"`."""
    return f"{matcher.label}{matcher.op.value}{json.dumps(matcher.value, ensure_ascii=False)}"
