"""Alert transitions: what the evaluator writes when an alert starts and ends."""

from __future__ import annotations

from tests.unit.channels.builders import ANNOTATIONS, alert_rule, make_alert

RUNAWAY = "{% set r = range(100000) %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}"


def test_start_alert_runaway_annotation_is_left_out_within_the_budget():
    # Given a rule stored with an annotation that would loop for minutes
    rule = alert_rule(annotations={**ANNOTATIONS, "summary": RUNAWAY})

    # When the evaluator starts its alert (the render stops at its 0.2 s budget)
    alert = make_alert(rule)

    # Then the failing annotation is left out (messages use their default headline), the rest stay
    assert "summary" not in alert.annotations
    assert alert.annotations["description"] == "Service web is busy."
