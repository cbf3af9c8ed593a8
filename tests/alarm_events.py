"""CloudWatch alarm events as AWS documents them (events/cloudwatch-*.json), and variants of them."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[1] / "events"
ACCOUNT_ARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:"


@cache
def _read(kind: str) -> str:
    return (EVENTS / f"cloudwatch-{kind}.json").read_text()


def documented(kind: str = "alarm-state-change") -> dict[str, Any]:
    """A fresh copy of AWS's example: alarm-state-change (-metric-math, -composite,
    -metrics-insights) or alarm-contributor-state-change."""
    event: dict[str, Any] = json.loads(_read(kind))
    return event


def aws_time(at: datetime) -> str:
    """A state timestamp as CloudWatch writes it: 2019-10-02T17:04:40.989+0000."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}+0000"


def state_change(
    kind: str = "alarm-state-change",
    *,
    value: str | None = None,
    at: datetime | None = None,
    event_id: str | None = None,
    alarm: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """The documented event with its state (value, time, reason), id or alarm replaced."""
    event = copy.deepcopy(documented(kind))
    state = event["detail"]["state"]
    if value is not None:
        state["value"] = value
    if at is not None:
        state["timestamp"] = aws_time(at)
        event["time"] = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if reason is not None:
        state["reason"] = reason
    if event_id is not None:
        event["id"] = event_id
    if alarm is not None:
        event["detail"]["alarmName"] = alarm
        event["resources"] = [ACCOUNT_ARN + alarm]
    return event
