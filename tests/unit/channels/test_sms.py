"""SMS destinations: the deployment's allow-list of country calling codes."""

from __future__ import annotations

import pytest

from alerting.channels.sms import destination_allowed


@pytest.mark.parametrize(
    ("number", "codes", "allowed"),
    [
        ("+4915112345678", (), True),  # no list: every country
        ("+4915112345678", ("49", "44", "1"), True),
        ("+447700900123", ("49", "44", "1"), True),
        ("+12025550123", ("49", "44", "1"), True),
        ("+12425550123", ("49", "44", "1"), True),  # the Bahamas share +1
        ("+12425550123", ("49", "44", "1202"), False),  # a longer prefix narrows +1 to an area
        ("+12025550123", ("1202",), True),
        ("+8823451234567", ("49", "44", "1"), False),  # international networks: a classic toll fraud
        ("+4415112345678", ("49",), False),
        ("+4915112345678", ("4",), True),  # a prefix is a prefix: say what you mean
    ],
)
def test_destination_allowed_by_calling_code_prefix(number: str, codes: tuple[str, ...], allowed: bool) -> None:
    assert destination_allowed(number, codes) is allowed
