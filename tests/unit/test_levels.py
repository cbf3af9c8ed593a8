"""Warning and critical on one rule: one alert per series whose severity rises and falls in
place (`severity_changed`), M of N per level, resolved only when neither level breaches."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from alerting.evaluation import Decision
from alerting.lifecycle import change_severity, start_alert
from alerting.models.common import AlertEvent, Severity
from tests.factories import T0, condition, make_rule, play

CRIT, WARN, OK = 95.0, 80.0, 50.0  # threshold 90, warning 75, resolve (hysteresis) 85


def rule(**overrides: object):
    data = {
        "conditions": [condition(threshold=90, warning_threshold=75, resolve_threshold=85)],
        "severity": "critical",
        "warning_severity": "medium",
    }
    return make_rule(**(data | overrides))


def marks(decisions: list[Decision]) -> str:
    """w/c fired at warning/critical, ^ rose, v fell, r resolved, - nothing."""
    out = []
    for d in decisions:
        mark = "".join("w" if c.severity is Severity.medium else "c" for c in d.fire)
        if d.level is not None:
            mark += "^" if d.level.severity is Severity.critical else "v"
        mark += "r" * len(d.resolve)
        out.append(mark or "-")
    return "".join(out)


@pytest.mark.parametrize(
    ("m", "series", "timeline"),
    [
        (1, [WARN, CRIT, CRIT, WARN, OK], "w^-vr"),  # rises at once, falls below critical, resolves
        (1, [CRIT, WARN, OK], "cvr"),  # starts critical, falls to warning, then resolves
        (1, [CRIT, 87.0, 84.0, OK], "c-vr"),  # 87 is above the resolve threshold: still critical
        (2, [WARN, WARN, CRIT, CRIT, CRIT], "-w-^-"),  # M of N per level: two criticals to rise
        (2, [CRIT, WARN, CRIT, CRIT], "-w-^"),  # a critical and a warning make 2 of 2 at warning
        (2, [WARN, CRIT], "-w"),  # one critical of two is not critical yet
        (1, [OK, WARN, OK, WARN], "-wrw"),
    ],
)
def test_levels_rise_and_fall_in_place(m, series, timeline):
    assert marks(play(rule(breaches_to_fire=m), series)) == timeline


def test_a_rule_without_a_warning_threshold_behaves_as_before():
    plain = make_rule(conditions=[condition(threshold=90)])
    assert marks(play(plain, [WARN, CRIT, WARN])) == "-cr"


def test_the_alert_is_the_same_and_its_severity_changes_with_the_values_of_then():
    r = rule()
    decisions = play(r, [WARN, CRIT])
    (change,) = decisions[0].fire
    alert = start_alert(r, decisions[0].state, change, [], T0)
    assert alert.severity is Severity.medium
    risen, transition = change_severity(alert, r, [], decisions[1].level, T0)
    assert (risen.alert_id, risen.severity, transition.event) == (
        alert.alert_id,
        Severity.critical,
        AlertEvent.severity_changed,
    )
    assert risen.version == alert.version + 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"operator": "gte", "threshold": 90, "warning_threshold": 95}, "non-breaching side"),
        ({"operator": "lt", "threshold": 10, "warning_threshold": 5}, "non-breaching side"),
        ({"operator": "eq", "threshold": 10, "warning_threshold": 5}, "only to gt, gte, lt and lte"),
    ],
)
def test_a_warning_threshold_on_the_wrong_side_is_refused(fields, message):
    with pytest.raises(ValidationError, match=message):
        make_rule(conditions=[condition(**fields)])
