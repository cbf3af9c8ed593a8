"""Synthetic alerts: what a channel test sends, and what templates are test-rendered against
when a rule or channel is saved (a template that fails on them is refused, naming the field)."""

from __future__ import annotations

from datetime import datetime

from alerting.models.alerts import Alert, ConditionValue, Transition
from alerting.models.common import AlertEvent, AlertStatus, Category, Severity, new_id
from alerting.models.rules import RuleSpec


def channel_sample(channel_id: str, channel_name: str, now: datetime) -> Alert:
    """A firing alert, clearly labelled, for `POST /channels/{id}/test` and channel templates."""
    return _alert(
        now,
        rule_id="channel-test",
        rule_name=f"Test notification for channel {channel_name}",
        severity=Severity.info,
        category=Category.custom,
        labels={"test": "true"},
        annotations={"summary": "A test notification sent from the alerting API. No action is needed."},
        values=[
            ConditionValue(metric="Test/Metric value", statistic="Average", operator="gte", threshold=85.0, value=90.0)
        ],
        series={},
        channels=[channel_id],
        reason="channel test",
    )


def rule_sample(spec: RuleSpec, now: datetime) -> Alert:
    """The alert this rule would start with every condition at its threshold."""
    return _alert(
        now,
        rule_id=spec.rule_id or "new-rule",
        rule_name=spec.name,
        severity=spec.severity,
        category=spec.category,
        labels=spec.labels,
        annotations={},
        values=[ConditionValue.observed(c, c.threshold) for c in spec.conditions],
        series=spec.series_of({name: f"<{name}>" for name in spec.wildcards}),  # a fleet rule: one series
        channels=spec.channels,
        reason="template check",
    )


def _alert(now: datetime, *, rule_id: str, reason: str, **fields: object) -> Alert:
    alert_id = f"test-{new_id()}"
    return Alert.model_validate(
        {
            "alert_id": alert_id,
            "rule_id": rule_id,
            "fingerprint": rule_id,
            "status": AlertStatus.firing,
            "started_at": now,
            "updated_at": now,
            "last_transition": Transition(
                alert_id=alert_id, seq=1, event=AlertEvent.firing, at=now, actor="api", reason=reason
            ),
            **fields,
        }
    )
