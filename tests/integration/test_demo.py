"""`make demo` stays green: the scenario fires, delivers everywhere and resolves."""

from __future__ import annotations

from alerting_local import demo


def test_demo_scenario_exits_zero(capsys):
    assert demo.run() == 0
    out = capsys.readouterr().out
    assert "FIRED      High CPU Usage" in out
    assert "ACK        High CPU Usage by alice" in out
    assert "all expected alerts fired, were delivered and resolved" in out
