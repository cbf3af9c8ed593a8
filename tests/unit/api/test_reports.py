"""The pure summary and health decisions behind GET /summary and GET /health."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from alerting.models.alerts import Alert, Transition
from alerting.models.common import AlertEvent
from alerting.models.reports import EvaluationSummary
from alerting.reports import MAX_LAG_SECONDS, assess_health, summarize
from tests.factories import T0

NOW = T0 + timedelta(hours=12)
SINCE = NOW - timedelta(hours=24)


def alert(
    n: int,
    rule: str = "cpu",
    started: int = 0,
    acked: int | None = None,
    resolved: int | None = None,
    **fields: Any,
) -> Alert:
    """Alert `n` of `rule`, started `started` minutes after T0; acked/resolved minutes after start."""
    start = T0 + timedelta(minutes=started)
    status = "resolved" if resolved is not None else "acknowledged" if acked is not None else "firing"
    data: dict[str, Any] = {
        "alert_id": f"a{n}",
        "rule_id": rule,
        "rule_name": rule.upper(),
        "fingerprint": f"f{n}",
        "severity": "high",
        "category": "performance",
        "status": status,
        "started_at": start,
        "updated_at": start,
        "last_transition": Transition(alert_id=f"a{n}", seq=1, event=AlertEvent.firing, at=start, actor="evaluator"),
    }
    if acked is not None:
        data["acknowledged_at"] = start + timedelta(minutes=acked)
    if resolved is not None:
        data["resolved_at"] = start + timedelta(minutes=resolved)
    return Alert.model_validate(data | fields)


def test_summarize_counts_every_bucket_even_when_empty():
    summary = summarize([], SINCE, NOW)
    assert summary.total == 0
    assert summary.by_status == {"firing": 0, "acknowledged": 0, "resolved": 0}
    assert set(summary.by_severity) == {"critical", "high", "medium", "low", "info"}
    assert summary.by_category["custom"] == 0
    assert (summary.mtta_seconds, summary.mttr_seconds, summary.noisiest_rules) == (None, None, [])


def test_summarize_means_only_over_alerts_that_reached_the_state():
    alerts = [alert(1, acked=2, resolved=10), alert(2, acked=4), alert(3, resolved=20), alert(4)]
    summary = summarize(alerts, SINCE, NOW)
    assert summary.mtta_seconds == 180.0  # (2 + 4) / 2 minutes
    assert summary.mttr_seconds == 900.0  # (10 + 20) / 2 minutes
    assert summary.by_status == {"firing": 1, "acknowledged": 1, "resolved": 2}


def test_summarize_ranks_the_five_noisiest_rules_then_by_id():
    alerts = [alert(i, rule=r) for i, r in enumerate("aabbbcdefgg")]
    ranked = [(n.rule_id, n.alerts) for n in summarize(alerts, SINCE, NOW).noisiest_rules]
    assert ranked == [("b", 3), ("a", 2), ("g", 2), ("c", 1), ("d", 1)]


def test_summarize_timeline_has_every_hour_of_a_day_with_counts_and_means_per_hour():
    # T0 is on the hour; the window [T0 - 12 h, T0 + 12 h] touches 25 hours
    alerts = [
        alert(1, started=5, severity="critical", acked=10, resolved=30),
        alert(2, started=50, acked=2),
        alert(3, started=65, resolved=4),
    ]
    summary = summarize(alerts, SINCE, NOW)
    assert summary.bucket_seconds == 3600
    assert len(summary.timeline) == 25 and summary.timeline[0].start == SINCE
    at_t0 = {b.start: b for b in summary.timeline}[T0]
    assert (at_t0.by_severity["critical"], at_t0.by_severity["high"]) == (1, 1)
    assert (at_t0.mtta_seconds, at_t0.mttr_seconds) == (360.0, 1800.0)  # (10 + 2) / 2 min; 30 min
    next_hour = {b.start: b for b in summary.timeline}[T0 + timedelta(hours=1)]
    assert (next_hour.by_severity["high"], next_hour.mtta_seconds, next_hour.mttr_seconds) == (1, None, 240.0)
    assert sum(sum(b.by_severity.values()) for b in summary.timeline) == summary.total == 3


def test_summarize_timeline_is_daily_beyond_two_days():
    summary = summarize([alert(1)], NOW - timedelta(days=7), NOW)
    assert summary.bucket_seconds == 86_400
    assert len(summary.timeline) in (7, 8)  # the partial first day included
    assert sum(b.by_severity["high"] for b in summary.timeline) == 1


def test_summarize_names_a_rule_by_its_newest_alert():
    alerts = [
        alert(1, rule="cpu", started=5, rule_name="New name"),
        alert(2, rule="cpu", rule_name="Old name"),
    ]
    assert summarize(alerts, SINCE, NOW).noisiest_rules[0].rule_name == "New name"


def test_summarize_keeps_only_alerts_started_in_the_window():
    early = alert(1, started=-(24 * 60) - 1)  # T0 - 24h01m is before SINCE = T0 - 12h
    late = alert(2, started=13 * 60)  # after NOW
    inside = alert(3, started=60)
    assert summarize([early, late, inside], SINCE, NOW).total == 1


def test_summarize_passes_the_suppressed_count_through():
    assert summarize([], SINCE, NOW, suppressed=4).suppressed == 4


def run(minutes_ago: int, errors: int = 0) -> EvaluationSummary:
    return EvaluationSummary(tick=NOW - timedelta(minutes=minutes_ago), errors=errors)


@pytest.mark.parametrize(
    ("last_run", "dead_letters", "status", "reasons"),
    [
        (run(1), {"evaluator": 0, "notifier": 0}, "ok", []),
        (None, {}, "degraded", ["the evaluator has not run yet"]),
        (run(6), {}, "degraded", ["the evaluator last ran 360 s ago"]),
        (run(5), {}, "ok", []),
        (run(1, errors=2), {}, "degraded", ["the evaluator's last run had 2 error(s)"]),
        (run(1), {"notifier": 3}, "degraded", ["the notifier dead-letter queue holds 3 message(s)"]),
        (run(1), {"evaluator": None}, "degraded", ["the evaluator dead-letter queue could not be read"]),
    ],
)
def test_assess_health_table(last_run, dead_letters, status, reasons):
    check = assess_health(last_run, dead_letters, NOW)
    assert (check.status, list(check.reasons)) == (status, reasons)


def test_assess_health_lag_is_seconds_since_the_last_tick():
    assert assess_health(run(2), {}, NOW).lag_seconds == 120
    assert assess_health(None, {}, NOW).lag_seconds is None
    assert MAX_LAG_SECONDS == 300
