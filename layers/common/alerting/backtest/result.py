"""The backtest as JSON: the API's `BacktestResult`, and what `make backtest` prints."""

from __future__ import annotations

from typing import Any

from alerting.backtest.comparison import Comparison, SeriesSpan
from alerting.backtest.replay import BacktestAlert, Outcome
from alerting.backtest.runner import Backtest
from alerting.models.common import iso

NOTIFICATION_ITEMS = 200  # the report lists at most this many notifications (the counts are exact)


def as_json(backtest: Backtest) -> dict[str, Any]:
    planned, outcome, budget = backtest.plan, backtest.outcome, backtest.budget
    rule = planned.rule
    body: dict[str, Any] = {
        "rule_id": rule.rule_id,
        "start": iso(planned.start),
        "end": iso(planned.end),
        "ran": outcome is not None,
        "plan": {
            "ticks": planned.ticks,
            "series": len(planned.series),
            "evaluations": budget.evaluations,
            "get_metric_data_calls": budget.calls,
            "metrics_requested": budget.metrics_requested,
            "datapoints": budget.datapoints,
            "cost_usd": round(budget.cost_usd, 6),
            "list_metrics_calls": planned.list_metrics_calls,
            "exact": planned.exact,
            "resolutions": [
                {"start": iso(r.start), "end": iso(r.end), "seconds": r.seconds} for r in planned.resolutions
            ],
            "max_calls": backtest.limits.max_calls,
            "max_evaluations": backtest.limits.max_evaluations,
        },
        "series": planned.series,
        "thresholds": [
            {
                "label": c.label(),
                "operator": c.operator.value,
                "threshold": c.threshold,
                "warning_threshold": c.warning_threshold,
                "resolve_threshold": c.resolve_threshold,
            }
            for c in rule.conditions
        ],
        "alerts": [],
        "firing_seconds": 0,
        "flaps": 0,
        "transitions": {},
        "notifications": {"sent": 0, "suppressed": {}, "items": [], "truncated": False},
        "monthly_cost_usd": 0.0,
        "comparison": None,
    }
    if outcome is None:
        return body
    body |= _outcome_json(outcome)
    if backtest.saved is not None and backtest.comparison is not None:
        body["comparison"] = _comparison_json(backtest.saved, outcome, backtest.comparison)
    return body


def _outcome_json(outcome: Outcome) -> dict[str, Any]:
    items = outcome.notifications[:NOTIFICATION_ITEMS]
    return {
        "alerts": [_alert_json(a) for a in outcome.alerts],
        "firing_seconds": outcome.firing_seconds,
        "flaps": outcome.flaps,
        "transitions": outcome.transitions,
        "notifications": {
            "sent": outcome.sent,
            "suppressed": outcome.suppressed,
            "items": [
                {
                    "alert_id": n.alert_id,
                    "series": n.series,
                    "event": n.event,
                    "at": iso(n.at),
                    "suppressed_by": n.suppressed_by,
                }
                for n in items
            ],
            "truncated": len(outcome.notifications) > len(items),
        },
        "monthly_cost_usd": round(outcome.monthly_usd(), 4),
    }


def _alert_json(alert: BacktestAlert) -> dict[str, Any]:
    return {
        "alert_id": alert.alert_id,
        "series": alert.series,
        "kind": alert.kind,
        "severity": alert.severity,
        "started_at": iso(alert.started_at),
        "resolved_at": iso(alert.resolved_at) if alert.resolved_at else None,
        "peak": alert.peak,
        "firing_seconds": alert.firing_seconds,
        "flapping": alert.flapping,
    }


def _comparison_json(saved: Outcome, edited: Outcome, comparison: Comparison) -> dict[str, Any]:
    def spans(items: list[SeriesSpan]) -> list[dict[str, Any]]:
        return [{"series": s.series, "start": iso(s.start), "end": iso(s.end)} for s in items]

    return {
        "saved_version": saved.plan.rule.version,
        "alerts_before": len(saved.alerts),
        "alerts_after": len(edited.alerts),
        "firing_seconds_before": saved.firing_seconds,
        "firing_seconds_after": edited.firing_seconds,
        "notifications_before": saved.sent,
        "notifications_after": edited.sent,
        "added": [_alert_json(a) for a in comparison.added],
        "removed": [_alert_json(a) for a in comparison.removed],
        "added_spans": spans(comparison.added_spans),
        "removed_spans": spans(comparison.removed_spans),
    }
