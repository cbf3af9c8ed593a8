"""Alertmanager's own test tables, ported as data, run against our matchers, silences, inhibition
and grouping (prometheus/alertmanager at 68fb2d5, 2026-08-22; the Go test each table comes from
is named above it). Every case passes: either we behave as Alertmanager does, or the case names
its entry in DIFFERENCES (what we do instead, and why), the same list as docs/lifecycle.md's
"Where we differ from Alertmanager (deliberately)"."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from alerting.lifecycle import silence_ended
from alerting.models.alerts import Alert
from alerting.models.channels import Channel, ChannelSpec
from alerting.models.common import AlertStatus
from alerting.models.inhibitions import Inhibition
from alerting.models.silences import Matcher, Silence, SilenceSpec, SilenceState, alert_labels, silencing
from notifier.pipeline import group_key
from tests.factories import T0
from tests.unit.channels.builders import make_alert

# Our behaviour where it is not Alertmanager's: the key a case names → the title of its row in
# docs/lifecycle.md (the doc says why).
DIFFERENCES = {
    "label-names": "Label names are any text",
    "creation-needs-a-span": "A new silence must end after it starts",
    "end-is-exclusive": "A silence ends at its `ends_at`",
    "expire-twice": "Expiring an expired silence is a 409",
    "no-edits": "Silences are not edited",
    "one-matcher-set": "One set of matchers per silence",
    "no-group-by-all": "No `group_by: ['...']`",
}

Labels = dict[str, str]


def alert_with(labels: Labels, alert_id: str = "target", status: AlertStatus = AlertStatus.firing) -> Alert:
    """An alert whose matchers see exactly ``labels`` besides our own four (rule_id, rule_name,
    severity, category; no Alertmanager table uses those names except where noted)."""
    return make_alert().model_copy(update={"alert_id": alert_id, "labels": labels, "series": {}, "status": status})


def matcher(label: str, op: str, value: str) -> dict[str, str]:
    return {"label": label, "op": op, "value": value}


# --- pkg/labels/matcher_test.go TestMatcher: (op, pattern, value, matches) -------------------------
MATCHER = [
    ("=", "bar", "bar", True),
    ("=", "bar", "foo-bar", False),
    ("!=", "bar", "bar", False),
    ("!=", "bar", "foo-bar", True),
    ("=~", "bar", "bar", True),
    ("=~", "bar", "foo-bar", False),
    ("=~", ".*bar", "foo-bar", True),
    ("!~", "bar", "bar", False),
    ("!~", "bar", "foo-bar", True),
    ("!~", ".*bar", "foo-bar", False),
    ("=~", "foo.bar", "foo-bar", True),
    ("=~", r"foo\.bar", "foo-bar", False),
    ("=~", r"foo\.bar", "foo.bar", True),
    ("=", "foo\nbar", "foo\nbar", True),
    ("=~", "foo.bar", "foo\nbar", False),
    ("=~", "(?s)foo.bar", "foo\nbar", True),
    ("=", '~!="', '~!="', True),
]


@pytest.mark.parametrize(("op", "pattern", "value", "matches"), MATCHER)
def test_matcher(op: str, pattern: str, value: str, matches: bool):
    assert Matcher.model_validate(matcher("x", op, pattern)).matches({"x": value}) is matches


# --- silence/silence_test.go TestValidateClassicMatcher, TestValidateUTF8Matcher -----------------
# (label, op, value, Alertmanager's error in classic mode, ours, difference)
VALIDATE_MATCHER = [
    ("a", "=", "b", "", "", None),
    ("a", "!=", "b", "", "", None),
    ("a", "=~", "b", "", "", None),
    ("a", "!~", "b", "", "", None),
    ("00", "=", "a", "invalid label name", "", "label-names"),  # valid in Alertmanager's UTF-8 mode
    ("\U0001f642", "=", "a", "invalid label name", "", "label-names"),  # likewise
    ("a", "=~", "((", "invalid regular expression", "not a valid RE2 regular expression", None),
    ("a", "!~", "))", "invalid regular expression", "not a valid RE2 regular expression", None),
    ("a", "=", "\udcff", "invalid label value", "valid string", None),  # Go's "\xff": not UTF-8
    ("a", "=", "\U0001f642", "", "", None),
    ("a", "333", "b", "unknown matcher type", "Input should be", None),
]


@pytest.mark.parametrize(("label", "op", "value", "theirs", "ours", "differs"), VALIDATE_MATCHER)
def test_validate_matcher(label: str, op: str, value: str, theirs: str, ours: str, differs: str | None):
    assert differs is None or differs in DIFFERENCES
    assert (theirs == "") is (ours == "") or differs is not None
    if not ours:
        Matcher.model_validate(matcher(label, op, value))
        return
    with pytest.raises(ValidationError, match=ours):
        Matcher.model_validate(matcher(label, op, value))


# --- silence/silence_test.go TestValidateSilence, and silence.go's matchesEmpty ------------------
NOW = T0


def spec(matchers: list[dict[str, str]], starts: datetime | None = NOW, ends: datetime | None = NOW) -> dict[str, Any]:
    return {"matchers": matchers, "starts_at": starts, "ends_at": ends, "created_by": "conformance"}


# (case, silence, Alertmanager's error, ours, difference)
VALIDATE_SILENCE = [
    ("valid", spec([matcher("a", "=", "b")], ends=NOW + timedelta(hours=1)), "", "", None),
    (
        "starts and ends at once",
        spec([matcher("a", "=", "b")]),
        "",
        "ends_at must be after starts_at",
        "creation-needs-a-span",
    ),
    ("no matchers", spec([], ends=NOW + timedelta(hours=1)), "matcher set 0 is empty", "at least 1 item", None),
    (
        "an invalid label name among them",
        spec([matcher("a", "=", "b"), matcher("00", "=", "b")], ends=NOW + timedelta(hours=1)),
        "invalid label matcher",
        "",
        "label-names",
    ),
    (
        "every matcher matches the empty string",
        spec([matcher("a", "=", ""), matcher("b", "=~", ".*")], ends=NOW + timedelta(hours=1)),
        "at least one matcher must not match the empty string",
        "at least one matcher must not match the empty string",
        None,
    ),
    (
        "ends before it starts",
        spec([matcher("a", "=", "b")], ends=NOW - timedelta(seconds=1)),
        "end time must not be before start time",
        "ends_at must be after starts_at",
        None,
    ),
    # Alertmanager's Set starts a silence without a start now, before validating; so do we
    ("no start", spec([matcher("a", "=", "b")], starts=None, ends=NOW + timedelta(hours=1)), "", "", None),
    ("no end", spec([matcher("a", "=", "b")], ends=None), "invalid zero end timestamp", "ends_at", None),
    # silence.go matchesEmpty: only `=` and `=~` count; a negative matcher alone is a valid silence
    ("a!=''", spec([matcher("a", "!=", "")], ends=NOW + timedelta(hours=1)), "", "", None),
    ("a!~'b'", spec([matcher("a", "!~", "b")], ends=NOW + timedelta(hours=1)), "", "", None),
    (
        "a=~'b*'",
        spec([matcher("a", "=~", "b*")], ends=NOW + timedelta(hours=1)),
        "at least one matcher must not match the empty string",
        "at least one matcher must not match the empty string",
        None,
    ),
    (
        "a='' and c=~'.+'",
        spec([matcher("a", "=", ""), matcher("c", "=~", ".+")], ends=NOW + timedelta(hours=1)),
        "",
        "",
        None,
    ),
]


@pytest.mark.parametrize(
    ("case", "data", "theirs", "ours", "differs"), VALIDATE_SILENCE, ids=[c[0] for c in VALIDATE_SILENCE]
)
def test_validate_silence(case: str, data: dict[str, Any], theirs: str, ours: str, differs: str | None):
    assert differs is None or differs in DIFFERENCES
    assert (theirs == "") is (ours == "") or differs is not None
    if not ours:
        SilenceSpec.model_validate(data)
        return
    with pytest.raises(ValidationError, match=ours):
        SilenceSpec.model_validate(data)


def test_a_silence_matching_everything_is_refused_naming_its_matchers():
    with pytest.raises(ValidationError) as raised:
        SilenceSpec.model_validate(spec([matcher("team", "=", "")], ends=NOW + timedelta(hours=1)))
    assert raised.value.errors()[0]["loc"] == ("matchers",)


def stored(starts: timedelta, ends: timedelta, *matchers: dict[str, str]) -> Silence:
    return Silence.model_validate(
        spec(list(matchers) or [matcher("a", "=", "b")], NOW + starts, NOW + ends)
        | {"silence_id": "s", "created_at": NOW, "updated_at": NOW}
    )


# --- silence/silence_test.go TestQState and getState: (starts, ends, at, state) -----------------
STATE = [
    (timedelta(minutes=1), timedelta(hours=1), timedelta(0), "pending", None),
    (timedelta(minutes=-1), timedelta(hours=1), timedelta(0), "active", None),
    (timedelta(hours=-1), timedelta(minutes=-1), timedelta(0), "expired", None),
    (timedelta(minutes=-1), timedelta(0), timedelta(0), "expired", "end-is-exclusive"),  # Alertmanager: active
]


@pytest.mark.parametrize(("starts", "ends", "at", "state", "differs"), STATE)
def test_silence_state(starts: timedelta, ends: timedelta, at: timedelta, state: str, differs: str | None):
    assert differs is None or differs in DIFFERENCES
    assert stored(starts, ends).state(NOW + at) is SilenceState(state)


# --- silence/silence_test.go TestSilenceExpire ---------------------------------------------------
def test_expiring_a_pending_silence_starts_and_ends_it_now():
    pending = stored(timedelta(minutes=1), timedelta(hours=1))
    ended = pending.expired(NOW)
    assert (ended.starts_at, ended.ends_at, ended.updated_at) == (NOW, NOW, NOW)
    assert ended.state(NOW) is SilenceState.expired  # Alertmanager's only a second later (end-is-exclusive)


def test_expiring_an_active_silence_ends_it_now():
    active = stored(timedelta(minutes=-1), timedelta(hours=1))
    ended = active.expired(NOW)
    assert (ended.starts_at, ended.ends_at) == (NOW - timedelta(minutes=1), NOW)


def test_expiring_an_expired_silence_is_refused_by_the_service():
    # Alertmanager's Expire returns nil; the API answers 409 (tests/integration/api/test_silences.py)
    assert "expire-twice" in DIFFERENCES
    assert stored(timedelta(hours=-1), timedelta(minutes=-1)).state(NOW) is SilenceState.expired


def test_a_pending_silence_expired_covered_nothing_so_its_end_announces_nothing():
    # Given a firing alert it would have silenced in ten minutes
    alert = alert_with({"a": "b"})
    pending = stored(timedelta(minutes=10), timedelta(hours=1), matcher("a", "=", "b"))
    # When it is expired before it starts
    ended = pending.expired(NOW + timedelta(minutes=1))
    # Then it never covered the alert, and the sweep after it announces nothing
    assert not any(ended.covers(alert, NOW + timedelta(seconds=s)) for s in range(0, 3600, 30))
    assert silence_ended(alert, [ended], NOW + timedelta(minutes=1, seconds=30)) is None


# --- silence/silence_test.go TestSilenceSet: what a create stores --------------------------------
# (requested start relative to now or None, stored start relative to now)
SET = [
    (timedelta(minutes=2), timedelta(minutes=2)),  # a start ahead is kept
    (None, timedelta(0)),  # no start: now
    (timedelta(minutes=-4), timedelta(0)),  # sil7: a start in the past starts now
]


@pytest.mark.parametrize(("start", "stored_start"), SET)
def test_silence_set_start(start: timedelta | None, stored_start: timedelta):
    asked = SilenceSpec.model_validate(
        spec([matcher("a", "=", "b")], None if start is None else NOW + start, NOW + timedelta(minutes=5))
    )
    assert Silence.created(asked, "s", NOW).starts_at == NOW + stored_start


def test_silence_set_updates_in_place_are_not_ours():
    # TestSilenceSet's updates (same id: a comment, a later end, new matchers) have no counterpart:
    # a silence is expired and created anew; POST with an id that exists is a 409.
    assert "no-edits" in DIFFERENCES


# --- silence/silence_test.go TestQMatches: {job=test, instance=web-1, path=/user/profile, method=GET}
QMATCHES_LABELS = {"job": "test", "instance": "web-1", "path": "/user/profile", "method": "GET"}
QMATCHES = [
    ([matcher("job", "=", "test")], True),
    ([matcher("job", "!=", "test")], False),
    ([matcher("job", "=", "test"), matcher("method", "=", "POST")], False),
    ([matcher("job", "=", "test"), matcher("method", "!=", "POST")], True),
    ([matcher("path", "=~", "/user/.+")], True),
    ([matcher("path", "!~", "/user/.+")], False),
    ([matcher("path", "=~", "/user/.+"), matcher("path", "=~", "/nothing/.+")], False),
]


@pytest.mark.parametrize(("matchers", "silenced"), QMATCHES)
def test_silence_matches(matchers: list[dict[str, str]], silenced: bool):
    silence = stored(timedelta(hours=-1), timedelta(hours=1), *matchers)
    assert silence.covers(alert_with(QMATCHES_LABELS), NOW) is silenced


def test_matcher_sets_are_not_ours():
    # TestQMatches' last three cases OR several matcher sets in one silence; ours has one set
    # (every matcher must match): two silences do what two sets do.
    assert "one-matcher-set" in DIFFERENCES


# --- silence/silence_test.go TestSilencer: one alert {foo=bar} through silences' lifetimes ---------
def test_silencer():
    foo_bar = alert_with({"foo": "bar"})
    baz = stored(timedelta(hours=-1), timedelta(minutes=5), matcher("foo", "=", "baz"))
    bar = stored(timedelta(hours=-1), timedelta(minutes=5), matcher("foo", "=", "bar"))
    assert silencing([], foo_bar, NOW) is None  # no silences
    assert silencing([baz], foo_bar, NOW) is None  # a silence that does not match
    assert silencing([baz, bar], foo_bar, NOW) is bar  # one that does
    assert silencing([baz, bar], foo_bar, NOW + timedelta(hours=1)) is None  # an hour on: expired
    later = stored(timedelta(hours=2), timedelta(hours=4), matcher("foo", "=", "bar"))
    assert silencing([later], foo_bar, NOW + timedelta(hours=1)) is None  # in the future
    assert silencing([later], foo_bar, NOW + timedelta(hours=3)) is later  # two hours on: active
    overlapping = stored(timedelta(hours=3), timedelta(hours=5), matcher("foo", "=~", "b.."))
    assert silencing([later, overlapping], foo_bar, NOW + timedelta(hours=4, minutes=30)) is overlapping


# --- inhibit/inhibit_test.go TestInhibitRuleHasEqual: (sources, equal, target labels, inhibited) ---
# The rule's matchers pick out the source and the target alone, so that only `equal` decides here.
HAS_EQUAL = [
    ("no source alerts", [], [], {"a": "b"}, False),
    ("no equal labels: any source", [({}, True)], [], {"a": "b"}, True),
    (
        "matching but already resolved",
        [({"a": "b", "b": "f"}, False), ({"a": "b", "b": "c"}, False)],
        ["a", "b"],
        {"a": "b", "b": "c"},
        False,
    ),
    (
        "matching and unresolved",
        [({"a": "b", "c": "d"}, False), ({"a": "b", "c": "f"}, True)],
        ["a"],
        {"a": "b"},
        True,
    ),
    (
        "equal label does not match",
        [({"a": "c", "c": "d"}, False), ({"a": "c", "c": "f"}, False)],
        ["a"],
        {"a": "b"},
        False,
    ),
]


@pytest.mark.parametrize(("case", "sources", "equal", "target", "inhibited"), HAS_EQUAL, ids=[c[0] for c in HAS_EQUAL])
def test_inhibit_rule_has_equal(
    case: str, sources: list[tuple[Labels, bool]], equal: list[str], target: Labels, inhibited: bool
):
    rule = Inhibition.model_validate(
        {
            "inhibition_id": "r",
            "source": [matcher("side", "=", "source")],
            "target": [matcher("side", "=", "target")],
            "equal": equal,
        }
    )
    alerts = [
        alert_with(labels | {"side": "source"}, f"s{i}", AlertStatus.firing if open_ else AlertStatus.resolved)
        for i, (labels, open_) in enumerate(sources)
    ]
    assert (rule.source_of(alert_with(target | {"side": "target"}), alerts) is not None) is inhibited


# --- inhibit/inhibit_test.go TestInhibitRuleMatches and TestInhibitRuleMatchers ------------------
def inhibition(rule_id: str, source: dict[str, str], target: dict[str, str]) -> Inhibition:
    return Inhibition.model_validate({"inhibition_id": rule_id, "source": [source], "target": [target], "equal": ["e"]})


SOURCE_1 = alert_with({"s1": "1", "t1": "2", "e": "1"}, "source-1")  # matches rule 1's source
SOURCE_2 = alert_with({"s2": "1", "t2": "1", "e": "1"}, "source-2")  # rule 2's source and target
MATCH_RULES = [
    inhibition("rule1", matcher("s1", "=", "1"), matcher("t1", "=", "1")),
    inhibition("rule2", matcher("s2", "=", "1"), matcher("t2", "=", "1")),
]
MATCHERS_RULES = [
    inhibition("rule1", matcher("s1", "=", "1"), matcher("t1", "!=", "1")),
    inhibition("rule2", matcher("s2", "=", "1"), matcher("t2", "=", "1")),
]
TARGETS = [
    {"t1": "1", "e": "1"},
    {"t2": "1", "e": "1"},
    {"t1": "1", "t3": "1", "e": "1"},
    {"t1": "1", "t2": "1", "e": "1"},
    {"t1": "0", "e": "1"},
    {"s1": "1", "t1": "1", "e": "1"},  # both sides of rule 1; SOURCE_1 matches its source only
    {"s2": "1", "t2": "1", "e": "1"},  # both sides of rule 2, as SOURCE_2: not inhibited by it
    {"t1": "1", "e": "0"},
]
MATCHES_EXPECTED = [True, True, True, True, False, True, False, False]
MATCHERS_EXPECTED = [False, True, False, True, True, False, True, False]


@pytest.mark.parametrize(
    ("rules", "target", "inhibited"),
    [(MATCH_RULES, t, e) for t, e in zip(TARGETS, MATCHES_EXPECTED, strict=True)]
    + [(MATCHERS_RULES, t, e) for t, e in zip(TARGETS, MATCHERS_EXPECTED, strict=True)],
    ids=[f"matches-{i}" for i in range(8)] + [f"matchers-{i}" for i in range(8)],
)
def test_inhibit_rule_matches(rules: list[Inhibition], target: Labels, inhibited: bool):
    alert = alert_with(target)
    found = [r.source_of(alert, [SOURCE_1, SOURCE_2]) for r in rules]
    assert any(found) is inhibited


def test_two_alerts_that_match_both_sides_do_not_inhibit_each_other():
    rule = inhibition("r", matcher("severity", "=~", "high|critical"), matcher("severity", "=~", "high|critical"))
    one, other = alert_with({"e": "1"}, "one"), alert_with({"e": "1"}, "other")  # both severity high
    assert (rule.source_of(one, [one, other]), rule.source_of(other, [one, other])) == (None, None)


# --- inhibit/inhibit_test.go TestInhibit: alertOne {t=1,e=f}, alertTwo {s=1,e=f} -------------------
ONE, TWO = {"t": "1", "e": "f"}, {"s": "1", "e": "f"}
INHIBIT = [
    ("alertTwo has not fired", [], [(ONE, False)]),
    ("alertTwo is active", [AlertStatus.firing], [(ONE, True), (TWO, False)]),
    ("alertTwo is resolved", [AlertStatus.resolved], [(ONE, False), (TWO, False)]),
]


@pytest.mark.parametrize(("case", "two", "expected"), INHIBIT, ids=[c[0] for c in INHIBIT])
def test_inhibit(case: str, two: list[AlertStatus], expected: list[tuple[Labels, bool]]):
    rule = inhibition("r", matcher("s", "=", "1"), matcher("t", "=", "1"))
    open_alerts = [alert_with(ONE, "one")] + [alert_with(TWO, "two", status) for status in two]
    for labels, muted in expected:
        assert (rule.source_of(alert_with(labels, "checked"), open_alerts) is not None) is muted


# --- dispatch/dispatch_test.go TestGroupLabels, TestGetGroupLabels (getGroupLabels) ---------------
def grouping(*labels: str) -> Channel:
    return Channel(channel_id="c", name="c", type="webhook", target={}, group_by=list(labels))


GROUP_LABELS = [
    ({"a": "v1", "b": "v2", "c": "v3"}, ["a", "b"], {"a": "v1", "b": "v2"}),
    (
        {"alertname": "TestAlert", "job": "prometheus", "instance": "localhost:9090"},
        ["alertname", "job"],
        {"alertname": "TestAlert", "job": "prometheus"},
    ),
    # getGroupLabels walks the alert's labels: one it lacks (or holds empty) is not in the group's
    ({"a": "v1"}, ["a", "missing"], {"a": "v1"}),
    ({"a": "v1", "b": ""}, ["a", "b"], {"a": "v1"}),
]


@pytest.mark.parametrize(("labels", "group_by", "expected"), GROUP_LABELS)
def test_group_labels(labels: Labels, group_by: list[str], expected: Labels):
    assert group_key(grouping(*group_by), alert_with(labels))[1] == expected


def test_alerts_lacking_a_group_by_label_share_a_group():
    lacking, empty = alert_with({"a": "v1"}), alert_with({"a": "v1", "b": ""})
    assert group_key(grouping("a", "b"), lacking) == group_key(grouping("a", "b"), empty)


def test_group_by_all_is_not_ours():
    # TestGroupByAllLabels, TestGetGroupLabels "group by all", TestWildcardGroupByWithOtherGroupByLabels:
    # `...` is a label name like any other here (no alert carries it: one group)
    assert "no-group-by-all" in DIFFERENCES
    assert group_key(grouping("..."), alert_with({"a": "v1"}))[1] == {}


# --- config/config_test.go TestGroupByHasNoDuplicatedLabels --------------------------------------
def test_group_by_has_no_duplicated_labels():
    body = {"name": "c", "type": "webhook", "target": {}, "group_by": ["alertname", "cluster", "service", "cluster"]}
    with pytest.raises(ValidationError) as raised:
        ChannelSpec.model_validate(body)
    (error,) = raised.value.errors()
    assert error["loc"] == ("group_by",) and "duplicated label 'cluster'" in error["msg"]


# --- the list of differences is the one in the docs ----------------------------------------------
def test_every_difference_is_documented():
    lifecycle = (Path(__file__).parents[2] / "docs" / "lifecycle.md").read_text()
    table = lifecycle.split("Where we differ from Alertmanager (deliberately)", 1)[-1]
    assert [title for title in DIFFERENCES.values() if title not in table] == []


def test_our_matchers_see_our_labels():
    # Alertmanager's alerts carry `alertname`; ours carry rule_id, rule_name, severity, category
    labels = alert_labels(make_alert())
    assert {"rule_id", "rule_name", "severity", "category"} <= set(labels) and "alertname" not in labels
