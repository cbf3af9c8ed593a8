"""The API against moto: the handler with its real services, plus repositories and an evaluator
to seed alerts the way production makes them."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from alerting.evaluation import Observation
from alerting.kinds import CHANNEL, RULE
from alerting.metrics import MetricQuery
from alerting.models.alerts import Alert
from alerting.models.channels import Channel
from alerting.models.common import floor_minute, utcnow
from alerting.models.rules import Rule
from alerting.repositories.alerts import AlertFilter, AlertRepository
from alerting.repositories.config import ConfigRepository, RunLog
from alerting.repositories.state import StateRepository
from evaluator.service import Evaluator
from tests.factories import make_rule


class FixedMetrics:
    """Every query sees `value` (None: no data); what the evaluator would read from CloudWatch."""

    def __init__(self, value: float | None) -> None:
        self.value = value
        self.calls = 0

    def fetch(self, queries: list[MetricQuery]) -> dict[MetricQuery, Observation]:
        self.calls += 1
        return {q: Observation(self.value) for q in queries}


@dataclass
class Store:
    """Direct access to the stack's tables, for Given and Then."""

    aws: Any
    rules: ConfigRepository[Rule]
    channels: ConfigRepository[Channel]
    alerts: AlertRepository
    states: StateRepository
    runs: RunLog

    def evaluator(self, value: float | None) -> Evaluator:
        return Evaluator(self.rules, self.states, self.alerts, FixedMetrics(value), self.runs)

    def fire(self, rule: Rule | None = None, at: datetime | None = None) -> Alert:
        """Store `rule` (default: the factory's high-cpu) and let one breaching tick fire it."""
        rule = rule or make_rule()
        if rule.rule_id not in {r.rule_id for r in self.rules.all()}:
            self.rules.create(rule)
        self.evaluator(99.0).run(at or minutes_ago(10))
        (alert,) = [a for a in self.alerts.open_for_rule(rule.rule_id) if a.kind == "threshold"]
        return alert

    def all_alerts(self) -> list[Alert]:
        return self.alerts.page(AlertFilter(), 100, None).items


def minutes_ago(minutes: int) -> datetime:
    return floor_minute(utcnow()) - timedelta(minutes=minutes)


@pytest.fixture
def api_log() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The API logger's JSON lines (its handler holds the stdout of import time, so capsys misses it)."""
    from api.observability import logger

    stream = io.StringIO()
    previous = logger.registered_handler.setStream(stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.registered_handler.setStream(previous)


@pytest.fixture
def store(aws: Any) -> Store:
    env = aws.env("ApiFunction")
    dynamodb = aws.client("dynamodb")
    return Store(
        aws=aws,
        rules=ConfigRepository(dynamodb, env["CONFIG_TABLE"], RULE),
        channels=ConfigRepository(dynamodb, env["CONFIG_TABLE"], CHANNEL),
        alerts=AlertRepository(dynamodb, env["ALERTS_TABLE"], env["ALERT_LOG_TABLE"]),
        states=StateRepository(dynamodb, env["STATE_TABLE"]),
        runs=RunLog(dynamodb, env["CONFIG_TABLE"]),
    )
