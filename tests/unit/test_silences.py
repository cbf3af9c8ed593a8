"""Silence matchers (each operator, anchoring, missing labels) and time bounds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from alerting.lifecycle import silence_ended
from alerting.models.common import AlertEvent, AlertStatus
from alerting.models.silences import Matcher, Silence, SilenceState, alert_labels, silencing
from tests.factories import T0
from tests.unit.channels.builders import alert_rule, make_alert

ALERT = make_alert(alert_rule(labels={"service": "payments", "team": "core"}))  # severity high, Service=web


def silence(*matchers: dict[str, Any], start: int = 0, end: int = 60, silence_id: str = "s1") -> Silence:
    return Silence.model_validate(
        {
            "silence_id": silence_id,
            "matchers": list(matchers),
            "starts_at": T0 + timedelta(minutes=start),
            "ends_at": T0 + timedelta(minutes=end),
            "created_by": "alice",
            "created_at": T0,
            "updated_at": T0,
        }
    )


@pytest.mark.parametrize(
    ("label", "op", "value", "matches"),
    [
        ("service", "=", "payments", True),
        ("service", "=", "pay", False),
        ("service", "!=", "payments", False),
        ("service", "!=", "checkout", True),
        ("service", "=~", "pay.*", True),
        ("service", "=~", "pay", False),  # anchored: the whole value must match
        ("service", "=~", ".*ment.*", True),
        ("service", "!~", "pay.*", False),
        ("service", "!~", "check.*", True),
        ("severity", "=", "high", True),  # the alert's own fields are labels too
        ("rule_id", "=", "high-cpu", True),
        ("Service", "=", "web", True),  # and the series' dimensions
        ("region", "=", "", True),  # a missing label reads as ""
        ("region", "!=", "", False),
        ("region", "=~", ".+", False),
    ],
)
def test_matcher_table(label: str, op: str, value: str, matches: bool):
    matcher = Matcher.model_validate({"label": label, "op": op, "value": value})
    assert matcher.matches(alert_labels(ALERT)) is matches


@pytest.mark.parametrize(
    ("pattern", "value"),
    [
        ("(a+)+$", "a" * 30 + "b"),  # 47 s per tick with a backtracking engine
        ("(.*){16}X", "High CPU Usage on the payments fleet"),  # 5.6 s against a rule name
        ("(a|aa)+$", "a" * 500 + "!"),
    ],
)
def test_catastrophic_patterns_match_in_linear_time(pattern: str, value: str):
    matcher = Matcher.model_validate({"label": "service", "op": "=~", "value": pattern})
    assert matcher.matches({"service": value}) is False  # RE2 answers at once; `re` would not return


@pytest.mark.parametrize("pattern", ["(a)\\1", "(?=pay)pay", "(?<!x)y", "a++", "pay("])
def test_patterns_re2_refuses_are_invalid_naming_why(pattern: str):
    """Backreferences, lookaround and possessive quantifiers are Python's, not RE2's (nor
    Alertmanager's): a silence must not mean one thing here and another in amtool."""
    with pytest.raises(ValidationError, match="not a valid RE2 regular expression"):
        Matcher.model_validate({"label": "service", "op": "=~", "value": pattern})


def test_a_regex_whose_program_is_too_large_is_refused_naming_its_size():
    """RE2 is linear in the label times the program: 45 chained `(.*){1000}` compile to 405,003
    instructions and took 10 s per match against 500 characters."""
    with pytest.raises(ValidationError, match="too large: 405003 RE2 instructions, at most 2000"):
        Matcher.model_validate({"label": "rule_name", "op": "=~", "value": "(.*){1000}" * 45})
    Matcher.model_validate({"label": "rule_name", "op": "=~", "value": "[a-z0-9-]{1,64}"})  # 259: fine


@pytest.mark.parametrize("op", ["=~", "!~"])
def test_a_stored_matcher_re2_refuses_still_loads_and_matches_nothing(op: str):
    """Saved before RE2 (Python's re took `\\Z`, lookaround, `a++`): reading it must not stop the
    tick and the notifier from reading every other silence; it silences nothing, either way."""
    stored = {"label": "service", "op": op, "value": "(?=pay)pay.*"}
    with pytest.raises(ValidationError):
        Matcher.model_validate(stored)
    matcher = Matcher.model_validate(stored, context={"stored": True})
    assert (matcher.matches({"service": "payments"}), matcher.matches({"service": "web"})) == (False, False)


def test_a_copy_with_another_pattern_compiles_its_own():
    matcher = Matcher.model_validate({"label": "service", "op": "=~", "value": "pay.*"})
    assert matcher.matches({"service": "payments"})
    other = matcher.model_copy(update={"value": "web"})
    assert (other.matches({"service": "payments"}), other.matches({"service": "web"})) == (False, True)


def test_regexes_use_re2_semantics_dot_stops_at_newline():
    matcher = Matcher.model_validate({"label": "service", "op": "=~", "value": "pay.*"})
    assert (matcher.matches({"service": "pay\nments"}), matcher.matches({"service": "payments"})) == (False, True)


def test_every_matcher_must_match():
    both = silence({"label": "service", "value": "payments"}, {"label": "severity", "op": "!=", "value": "high"})
    assert silencing([both], ALERT, T0 + timedelta(minutes=1)) is None


@pytest.mark.parametrize(
    ("minute", "covered", "state"),
    [(-1, False, "pending"), (0, True, "active"), (59, True, "active"), (60, False, "expired")],
)
def test_a_silence_covers_from_its_start_until_just_before_its_end(minute: int, covered: bool, state: str):
    only = silence({"label": "team", "value": "core"})
    at = T0 + timedelta(minutes=minute)
    assert (silencing([only], ALERT, at) is not None, only.state(at)) == (covered, SilenceState(state))


def test_the_silence_ending_first_is_named():
    long = silence({"label": "team", "value": "core"}, end=120, silence_id="long")
    short = silence({"label": "team", "value": "core"}, end=30, silence_id="short")
    found = silencing([long, short], ALERT, T0 + timedelta(minutes=1))
    assert found is not None and found.silence_id == "short"


def test_an_invalid_regex_is_refused_naming_the_value():
    with pytest.raises(ValidationError) as raised:
        Matcher.model_validate({"label": "service", "op": "=~", "value": "pay("})
    assert raised.value.errors()[0]["loc"] == ("value",)


def test_a_silence_that_ends_over_a_firing_alert_announces_it_once():
    # Given an alert that fired under a silence ending at minute 30
    drill = silence({"label": "team", "value": "core"}, start=-10, end=30)
    alert = make_alert(alert_rule(labels={"team": "core"}, escalation_policy_id="p"))

    # Then nothing while it lasts, the firing at its end (escalation from level 1), and only once
    assert silence_ended(alert, [drill], T0 + timedelta(minutes=29)) is None
    announced, transition = silence_ended(alert, [drill], T0 + timedelta(minutes=30)) or (None, None)
    assert announced is not None and transition is not None
    assert (transition.event, transition.actor, transition.reason) == (AlertEvent.firing, "system", "silence s1 ended")
    assert (announced.escalation_level, announced.escalated_at) == (1, T0 + timedelta(minutes=30))
    assert silence_ended(announced, [drill], T0 + timedelta(minutes=31)) is None


@pytest.mark.parametrize(
    ("status", "other", "started"),
    [("acknowledged", False, 0), ("firing", True, 0), ("firing", False, 45)],
    ids=["acknowledged", "another-silence-still-covers", "fired-after-the-end"],
)
def test_a_silence_end_announces_nothing_when_nobody_was_kept_from_it(status: str, other: bool, started: int):
    drill = silence({"label": "team", "value": "core"}, start=-10, end=30)
    longer = silence({"label": "team", "value": "core"}, start=-10, end=90, silence_id="s2")
    alert = make_alert(alert_rule(labels={"team": "core"})).model_copy(
        update={"status": AlertStatus(status), "started_at": T0 + timedelta(minutes=started)}
    )
    silences = [drill, longer] if other else [drill]
    assert silence_ended(alert, silences, T0 + timedelta(minutes=31)) is None
