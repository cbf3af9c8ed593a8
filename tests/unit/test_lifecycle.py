"""Alert transitions: what the evaluator writes when an alert starts and ends."""

from __future__ import annotations

import json
from datetime import timedelta

from alerting.channels.slack import payload
from alerting.evaluation import Outcome, evaluate_series
from alerting.lifecycle import forget_alert, recover
from alerting.models.alerts import ConditionValue
from alerting.models.common import AlertEvent, epoch
from tests.factories import T0, events, make_rule, observations, play
from tests.unit.channels.builders import ANNOTATIONS, alert_rule, make_alert, make_message

RUNAWAY = "{% set r = range(100000) %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}"


def test_start_alert_runaway_annotation_is_left_out_within_the_budget():
    # Given a rule stored with an annotation that would loop for minutes
    rule = alert_rule(annotations={**ANNOTATIONS, "summary": RUNAWAY})

    # When the evaluator starts its alert (the render stops at its 0.2 s budget)
    alert = make_alert(rule)

    # Then the failing annotation is left out (messages use their default headline), the rest stay
    assert "summary" not in alert.annotations
    assert alert.annotations["description"] == "Service web is busy."


def test_a_tick_redelivered_after_a_manual_resolve_counts_once():
    # Given a rule firing on 2 of 2, breaching steadily: the ticks after the firing change nothing
    rule = make_rule(breaches_to_fire=2, out_of=2)
    decisions = play(rule, [95, 95, 95])
    assert events(decisions) == "-F-"
    state = decisions[-1].state
    steady_tick = T0 + timedelta(minutes=2)
    alert = make_alert(rule)

    # When someone resolves it by hand 30 s after that tick, and EventBridge then redelivers it
    forgotten = forget_alert(state, alert, epoch(steady_tick + timedelta(seconds=30)))
    redelivered = evaluate_series(rule, observations(95), forgotten, steady_tick)

    # Then the redelivered tick is a duplicate, and the alert needs two new breaches to return
    assert redelivered.outcome is Outcome.duplicate
    after = play(rule, [95, 95], forgotten, start=steady_tick + timedelta(minutes=1))
    assert events(after) == "-F"


def test_recover_carries_the_recovered_values_and_renders_the_summary_with_them():
    # Given an alert that fired at 91.2 ("CPU at 91.2% (threshold 85%)")
    rule = alert_rule()
    alert = make_alert(rule)
    assert alert.annotations["summary"] == "CPU at 91.2% (threshold 85.0%)"

    # When the evaluator resolves it at 20
    values = [ConditionValue.observed(rule.conditions[0], 20.0)]
    resolved, transition = recover(alert, rule, values, T0 + timedelta(minutes=9), reason="recovered")

    # Then the alert, its summary and the messages show 20, as a recovery
    assert (transition.event, resolved.values[0].value) == (AlertEvent.resolved, 20.0)
    assert resolved.annotations["summary"] == "CPU at 20.0% (threshold 85.0%)"
    body, _ = payload(make_message(resolved))
    assert body["text"] == "[RESOLVED][HIGH] High CPU Usage: Recovered: CPU at 20.0% (threshold 85.0%)"
    assert "91.2" not in json.dumps(body)
