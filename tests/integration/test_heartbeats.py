"""Heartbeats against the template's tables: pings, the sweep's heartbeat pass and the real
evaluator handler; what a sweep costs in DynamoDB requests, counted."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerting import wiring
from alerting.kinds import ROUTE
from alerting.lifecycle import AlertLifecycle
from alerting.lifecycle.signals import Receiver
from alerting.models.alerts import Alert
from alerting.models.common import AlertStatus
from alerting.models.heartbeats import Heartbeat
from alerting.models.integrations import key_hash
from alerting.models.reports import EvaluationSummary
from alerting.models.routes import StoredRoute
from alerting.models.signals import Signal, SignalOutcome
from alerting.repositories.heartbeats import HeartbeatRepository
from alerting.settings import EvaluatorSettings
from alerting.sources.heartbeats import watched_from
from alerting_local.lambda_runtime import LambdaContext
from evaluator import handler as evaluator_handler
from evaluator.sweep import HeartbeatSweep
from ingest.ping_service import Pings
from tests.factories import T0

EVENT = json.loads((Path(__file__).parents[2] / "events" / "scheduled.json").read_text())
M = timedelta(minutes=1)


@dataclass
class Beats:
    repository: HeartbeatRepository
    lifecycle: AlertLifecycle
    client: Any

    def create(self, heartbeat_id: str = "nightly", at: datetime = T0, **fields: Any) -> Heartbeat:
        spec = {"name": heartbeat_id.title(), "period_seconds": 60, "grace_seconds": 60} | fields
        heartbeat = Heartbeat.model_validate(spec | {"heartbeat_id": heartbeat_id, "key_hash": key_hash(heartbeat_id)})
        return self.repository.create(heartbeat, watched_from(heartbeat, at))

    def ping(self, heartbeat_id: str, at: datetime, failure: str | None = None) -> SignalOutcome | None:
        heartbeat = self.repository.get(heartbeat_id)
        return Pings(self.repository, self.lifecycle).record(heartbeat, at, failure).alert

    def sweep(self, tick: datetime) -> EvaluationSummary:
        summary = EvaluationSummary(tick=tick)
        HeartbeatSweep(self.repository, self.lifecycle).run(tick, summary)
        return summary

    def alerts(self) -> list[Alert]:
        return sorted(self.lifecycle.alerts.since(T0 - timedelta(days=1)), key=lambda a: a.started_at)


@pytest.fixture
def beats(aws) -> Beats:
    settings = EvaluatorSettings.from_env()
    return Beats(
        wiring.heartbeats(settings),
        AlertLifecycle(wiring.alerts(settings), wiring.states(settings)),
        wiring.client(settings, "dynamodb"),
    )


def tick(at: datetime) -> dict[str, Any]:
    """The real evaluator handler on its scheduled event, as a new container builds it."""
    event = {**EVENT, "time": at.strftime("%Y-%m-%dT%H:%M:%SZ")}
    evaluator = evaluator_handler.build(EvaluatorSettings.from_env())
    return evaluator_handler.handler(event, LambdaContext("evaluator"), evaluator=evaluator)


def test_silence_past_period_and_grace_opens_one_alert_and_the_next_ping_resolves_it(beats):
    # Given a heartbeat created at T0 that expects a ping a minute, with a minute's grace
    beats.create("nightly", labels={"team": "data"})

    # When the evaluator ticks every minute and nothing pings
    summaries = [tick(T0 + minute * M) for minute in range(1, 6)]

    # Then one alert opens at the tick of its due time, and no tick after opens another
    assert [(s["heartbeats_due"], s["heartbeats_fired"]) for s in summaries] == [(0, 0), (1, 1), (0, 0), (0, 0), (0, 0)]
    (alert,) = beats.alerts()
    assert (alert.source, alert.rule_id, alert.rule_name, alert.status) == (
        "heartbeat",
        "heartbeat:nightly",
        "Nightly",
        AlertStatus.firing,
    )
    assert alert.labels == {"team": "data", "heartbeat": "nightly"}
    assert alert.last_transition.reason == "no ping since 2026-11-26T16:00:00Z (period 60 s + grace 60 s)"

    # And the next ping resolves it
    assert beats.ping("nightly", T0 + 5 * M + 30 * timedelta(seconds=1)) is SignalOutcome.resolved
    (resolved,) = beats.alerts()
    assert (resolved.status, resolved.resolution) == (AlertStatus.resolved, "auto")
    assert [t.event for t in beats.lifecycle.alerts.history(alert.alert_id)] == ["firing", "resolved"]


def test_the_routes_matching_its_labels_hear_its_alert(beats):
    route = {"route_id": "data", "name": "Data", "matchers": [{"label": "heartbeat", "value": "nightly"}]}
    wiring.config(EvaluatorSettings.from_env(), ROUTE).create(
        StoredRoute.model_validate(route | {"receiver": {"channels": ["data-slack"], "escalation_policy_id": "data"}})
    )
    beats.create("nightly")
    assert tick(T0 + 2 * M)["heartbeats_fired"] == 1
    (alert,) = beats.alerts()
    assert (alert.channels, alert.escalation_policy_id) == (["data-slack"], "data")


def test_duplicated_and_late_sweeps_act_once(beats):
    beats.create("nightly")
    beats.sweep(T0 + M)
    first = beats.sweep(T0 + 2 * M)
    again = [beats.sweep(T0 + 2 * M), beats.sweep(T0 + M), beats.sweep(T0 + 2 * M + 30 * timedelta(seconds=1))]
    assert (first.heartbeats_due, first.heartbeats_fired) == (1, 1)
    assert [(s.heartbeats_due, s.heartbeats_fired) for s in again] == [(0, 0)] * 3
    assert len(beats.alerts()) == 1


def test_a_sweep_that_reads_a_minute_again_sends_what_the_lifecycle_has_seen(beats):
    beats.create("nightly")
    assert beats.sweep(T0 + 2 * M).heartbeats_fired == 1
    beats.client.delete_item(  # as if the cursor had not been saved: the minute is read again
        TableName=EvaluatorSettings.from_env().config_table, Key={"pk": {"S": "meta"}, "sk": {"S": "heartbeat-sweep"}}
    )
    again = beats.sweep(T0 + 2 * M)
    assert (again.heartbeats_due, again.heartbeats_fired) == (1, 0)  # its firing again: a duplicate
    assert len(beats.alerts()) == 1


def test_pings_keep_it_quiet_and_move_its_due_entry(beats):
    beats.create("nightly")
    for minute in range(1, 6):
        assert beats.ping("nightly", T0 + minute * M + 5 * timedelta(seconds=1)) is None
        assert beats.sweep(T0 + minute * M + 10 * timedelta(seconds=1)).heartbeats_due == 0
    _, state = beats.repository.find("nightly")
    assert state is not None and (state.pings, state.last_ping_at, state.indexed) == (
        5,
        T0 + 5 * M + 5 * timedelta(seconds=1),
        T0 + 8 * M,
    )
    assert beats.repository.due(T0 + 8 * M) == ["nightly"]
    assert beats.repository.due(T0 + 7 * M) == []  # the entries it had before were moved, not left behind
    assert beats.alerts() == []


def test_a_failure_fires_at_once_and_the_next_ping_resolves_it(beats):
    beats.create("nightly")
    assert beats.ping("nightly", T0 + 30 * timedelta(seconds=1), failure="exit 3: disk full") is SignalOutcome.opened
    (alert,) = beats.alerts()
    assert alert.last_transition.reason == "exit 3: disk full"
    # its due time passes with no ping: still the one alert
    assert (beats.sweep(T0 + 3 * M).heartbeats_fired, len(beats.alerts())) == (0, 1)
    assert beats.ping("nightly", T0 + 4 * M) is SignalOutcome.resolved
    assert beats.alerts()[0].status == AlertStatus.resolved


def test_a_disabled_heartbeat_records_pings_and_alerts_nothing(beats):
    beats.create("paused", enabled=False)
    assert beats.ping("paused", T0 + 10 * timedelta(seconds=1), failure="boom") is None
    assert beats.sweep(T0 + 5 * M).heartbeats_due == 0
    _, state = beats.repository.find("paused")
    assert state is not None and (state.pings, state.down_since) == (1, None)
    assert beats.alerts() == []


def test_a_ping_that_comes_while_the_sweep_decides_resolves_what_it_opens(beats, monkeypatch):
    beats.create("nightly")
    real_receive = beats.lifecycle.receive

    def ping_first(signal: Signal, receiver: Receiver, now: datetime) -> SignalOutcome:
        # the sweep has marked it down; a ping lands before its firing reaches the lifecycle
        assert beats.ping("nightly", T0 + 2 * M + 20 * timedelta(seconds=1)) is not None
        return real_receive(signal, receiver, now)

    monkeypatch.setattr(beats.lifecycle, "receive", ping_first)
    beats.sweep(T0 + 3 * M)
    monkeypatch.undo()
    assert [a.status for a in beats.alerts()] in ([], [AlertStatus.resolved])


def test_a_heartbeat_the_sweep_could_not_finish_fires_at_the_next_tick(beats, monkeypatch):
    beats.create("nightly")
    real_receive = beats.lifecycle.receive
    calls = Counter[str]()

    def flaky(signal: Signal, receiver: Receiver, now: datetime) -> SignalOutcome:
        calls["receive"] += 1
        if calls["receive"] == 1:
            raise RuntimeError("throttled")
        return real_receive(signal, receiver, now)

    monkeypatch.setattr(beats.lifecycle, "receive", flaky)
    failed = beats.sweep(T0 + 2 * M)
    assert (failed.errors, failed.heartbeats_fired, beats.alerts()) == (1, 0, [])
    retried = beats.sweep(T0 + 3 * M)
    assert (retried.errors, retried.heartbeats_fired, len(beats.alerts())) == (0, 1, 1)


# -- cost ---------------------------------------------------------------------------------------------


def counted(client: Any) -> Counter[str]:
    """Every DynamoDB request ``client`` makes from now on, by operation."""
    calls: Counter[str] = Counter()
    client.meta.events.register("before-call.dynamodb", lambda model, **_: calls.update([model.name]))
    return calls


@pytest.mark.parametrize("count", [1, 40])
def test_a_sweep_with_nothing_due_costs_three_requests_however_many_heartbeats_exist(beats, count):
    for i in range(count):
        beats.create(f"job-{i}", period_seconds=3600)
    beats.repository.save_swept(T0 + M)
    calls = counted(beats.client)
    summary = beats.sweep(T0 + 2 * M)
    assert summary.heartbeats_due == 0
    assert calls == {"GetItem": 1, "Query": 1, "PutItem": 1}  # the cursor, the minute's entries, the cursor


def test_a_sweep_reads_only_the_heartbeats_due(beats):
    for i in range(20):
        beats.create(f"job-{i}", period_seconds=3600 if i >= 3 else 60)
    beats.repository.save_swept(T0 + M)
    calls = counted(beats.client)
    assert beats.sweep(T0 + 2 * M).heartbeats_fired == 3
    assert calls == {
        "GetItem": 1 + 3,  # the cursor; what each one's source said last (the lifecycle)
        "Query": 1,  # the minute's entries
        "BatchGetItem": 1,  # the three heartbeats and their states
        "PutItem": 3 + 1,  # each marked down; the cursor
        "TransactWriteItems": 3,  # each one's alert, its history and what its source said last
    }


def test_a_ping_costs_a_read_and_a_write_while_up(beats):
    beats.create("nightly")
    heartbeat = beats.repository.get("nightly")
    calls = counted(beats.client)
    Pings(beats.repository, beats.lifecycle).record(heartbeat, T0 + 30 * timedelta(seconds=1))
    assert calls == {"GetItem": 1, "TransactWriteItems": 1}  # its state; the state and its due entry moved
