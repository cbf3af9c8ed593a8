"""`make demo` stays green: the scenario fires, escalates to the one on call by SMS, is held
back by a silence, a mute window, an inhibition and flapping as configured, and resolves."""

from __future__ import annotations

from alerting_local import demo
from tests.infrastructure.test_iam import role_actions


def test_demo_scenario_exits_zero(capsys):
    calls: dict[str, set[str]] = {}
    assert demo.run(observe=lambda local: calls.update(local.calls.actions)) == 0
    out = capsys.readouterr().out
    assert "FIRED      High CPU Usage" in out
    assert "ACK        High CPU Usage by " in out  # whoever the schedule has on call today
    for line in (
        "ESCALATED  High CPU Usage",
        "FLAPPING   Queue Backlog",
        "SETTLED    Queue Backlog",
        "FIRED      Instance CPU [medium] i-0b2",  # one fleet rule, an alert per instance; a warning
        "SEVERITY_CHANGED Instance CPU",  # that becomes critical in place
        "FIRED      Instance CPU [critical] i-0d4",
        "GROUPED    #fleet on Slack, one message: [FIRING] 2 alerts: Instance CPU (2)",  # both, together
    ):
        assert line in out
    for reason in ("silenced by cache-maintenance", "muted by nightly-batch", "inhibited by alert"):
        assert reason in out
    assert "all expected alerts fired, were delivered or held back as configured, and resolved" in out
    # the backtest of the CPU rule gives the alert the evaluator raised; a threshold of 80 keeps it a minute longer
    assert ", as the evaluator raised them" in out
    assert "What if the CPU threshold were 80?" in out
    assert 'Guard rails on silences: team=~".*" -> 422 (matchers); team=~"(a)\\1" -> 422 (matchers.0.value)' in out
    assert "alerts 1 -> 1, firing 5m -> 6m" in out
    assert "    + firing 1m in 1 stretch(es)" in out
    # an e-mail's acknowledge link, opened then confirmed, acknowledges as the e-mail channel
    assert "  GET  the e-mail's link -> 200 'Acknowledge this alert?' (the alert is still firing)" in out
    assert "  history: acknowledged by channel:oncall-email (On-call e-mail) (from the e-mail link" in out

    # Every AWS action a function called in the scenario is one its IAM role allows (moto
    # enforces no IAM: this is where a missing action shows before a deployment does)
    assert set(calls) >= {"EvaluatorFunction", "NotifierFunction", "ApiFunction", "DefaultRulesSeedFunction"}
    for function, actions in calls.items():
        missing = actions - role_actions(function)
        assert not missing, (function, sorted(missing))
