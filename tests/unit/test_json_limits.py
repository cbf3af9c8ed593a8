"""JSON from outside, parsed within limits: a ValueError that says why, never a RecursionError."""

from __future__ import annotations

import pytest

from alerting.json_limits import MAX_DEPTH, depth_exceeds, loads


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        ("[" * MAX_DEPTH + "]" * MAX_DEPTH, False),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), True),
        ('{"a": ' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1), True),
        ('["' + "[" * 10_000 + '"]', False),  # brackets inside a string do not nest
        ('["\\"' + "[" * 10_000 + '"]', False),  # nor after an escaped quote
        ("{}" * 10_000, False),  # many, side by side
    ],
)
def test_depth_counts_nesting_outside_strings(text, deep):
    assert depth_exceeds(text) is deep


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"action": "subscribe", "filter": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested deeper than 64"),
        ('{"n": 1' + "0" * 5000 + "}", "is not JSON"),  # json.loads' own digit limit
        ("not json", "is not JSON"),
        (b'{"a": "\xff"}', "is not UTF-8"),
        ("", "is not JSON"),
    ],
)
def test_loads_refuses_with_a_value_error_that_says_why(text, reason):
    with pytest.raises(ValueError, match=reason):
        loads(text)


def test_loads_reads_what_is_within_limits():
    assert loads('{"action": "subscribe", "filter": {"severity": ["critical"]}}') == {
        "action": "subscribe",
        "filter": {"severity": ["critical"]},
    }
    assert loads(b"[1, 2]") == [1, 2]
