"""Builders for the live view's tests."""

from __future__ import annotations

from typing import Any

from alerting.models.alerts import Alert
from tests.unit.channels import builders


def make_alert(alert_id: str = "alert-1", **rule: Any) -> Alert:
    """A firing alert of the High CPU Usage rule (`rule` fields override: severity, labels...)."""
    alert = builders.make_alert(builders.alert_rule(**rule))
    return alert.model_copy(update={"alert_id": alert_id})
