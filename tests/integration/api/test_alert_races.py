"""People and the evaluator write the same alert: every interleaving ends consistent, nothing lost.

Each test lets one writer read, then runs the other writer in full, then lets the first one
write over the version it read, so its conditional write fails and it has to re-read.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from alerting.models.common import AlertStatus
from alerting.repositories.alerts import AlertRepository
from evaluator.service import Evaluator
from tests.factories import make_rule
from tests.integration.api.client import ONCALL
from tests.integration.api.conftest import FixedMetrics, Store, minutes_ago


class RacingAlerts(AlertRepository):
    """Runs `race` once, right after the first alert read: the other writer gets in between."""

    def __init__(self, store: Store, race: Callable[[], Any]) -> None:
        env = store.aws.env("ApiFunction")
        super().__init__(store.aws.client("dynamodb"), env["ALERTS_TABLE"], env["ALERT_LOG_TABLE"])
        self._race: Callable[[], Any] | None = race

    def get(self, alert_id: str):  # type: ignore[no-untyped-def]
        alert = super().get(alert_id)
        race, self._race = self._race, None
        if race is not None:
            race()
        return alert


def events(store: Store, alert_id: str) -> list[str]:
    return [t.event.value for t in store.alerts.history(alert_id)]


def test_ack_landing_inside_an_evaluator_resolve_is_kept_and_the_resolve_retries(api, store):
    # Given a firing alert and an evaluator tick that sees the metric recovered
    alert = store.fire(at=minutes_ago(10))
    replies = []
    ack = lambda: replies.append(api.post(f"/alerts/{alert.alert_id}/ack", {"by": "alice"}))  # noqa: E731
    evaluator = Evaluator(
        store.rules,
        store.states,
        RacingAlerts(store, ack),
        FixedMetrics(10.0),
        store.runs,
    )

    # When the ack lands between the evaluator reading the alert and writing the resolve
    summary = evaluator.run(minutes_ago(9))

    # Then the ack succeeded, the evaluator re-read and resolved the acknowledged alert
    assert replies[0].status == 200
    assert (summary.alerts_resolved, summary.errors) == (1, 0)
    final = store.alerts.get(alert.alert_id)
    assert (final.status, final.resolution, final.acknowledged_by) == (AlertStatus.resolved, "auto", ONCALL)
    assert events(store, alert.alert_id) == ["firing", "acknowledged", "resolved"]


def test_ack_losing_to_an_evaluator_resolve_is_refused_not_lost(api, store, monkeypatch):
    # Given the API reads a firing alert, and the evaluator resolves it before the ack is written
    alert = store.fire(at=minutes_ago(10))
    resolve = lambda: store.evaluator(10.0).run(minutes_ago(9))  # noqa: E731
    monkeypatch.setattr(api.services.alerts.lifecycle, "alerts", RacingAlerts(store, resolve))

    # When the ack's conditional write fails and it re-reads
    reply = api.post(f"/alerts/{alert.alert_id}/ack", {"by": "alice"})

    # Then it sees the alert resolved and says so: 409, the resolve stands alone in history
    assert reply.status == 409
    assert "resolved" in reply.body["message"]
    assert store.alerts.get(alert.alert_id).status is AlertStatus.resolved
    assert events(store, alert.alert_id) == ["firing", "resolved"]


def test_manual_resolve_retries_over_a_concurrent_state_write(api, store, monkeypatch):
    # Given a rule that needs two recovered evaluations, so a recovering tick only updates the state
    alert = store.fire(make_rule(resolve_after=2), at=minutes_ago(10))
    tick = lambda: store.evaluator(10.0).run(minutes_ago(9))  # noqa: E731
    monkeypatch.setattr(api.services.alerts.lifecycle, "alerts", RacingAlerts(store, tick))

    # When the tick writes the series state between the resolve's read and its write
    reply = api.post(f"/alerts/{alert.alert_id}/resolve", {"by": "alice"})

    # Then the resolve retried over the new state version and cleared the series
    assert reply.status == 200
    assert events(store, alert.alert_id) == ["firing", "resolved"]
    state = store.states.get(alert.rule_id, alert.fingerprint)
    assert state is not None and (state.alert_id, state.recovered_streak, state.history) == (None, 0, "")
    assert state.version == 3  # fired (1), the tick's recovery (2), the resolve on top (3)


def test_ack_and_auto_resolve_in_parallel_threads_always_end_resolved(api, store, atomic_requests):
    rules = [make_rule(rule_id=f"r{i}") for i in range(6)]
    alerts = [store.fire(rule, at=minutes_ago(10)) for rule in rules]

    def ack(alert_id: str) -> int:
        return api.post(f"/alerts/{alert_id}/ack", {"by": "alice"}).status

    with ThreadPoolExecutor(4) as pool:
        acks = pool.map(ack, [a.alert_id for a in alerts])
        resolved = pool.submit(store.evaluator(10.0).run, minutes_ago(9))
        statuses = list(acks)
        summary = resolved.result()

    assert summary.alerts_resolved == len(alerts) and summary.errors == 0
    for alert, status in zip(alerts, statuses, strict=True):
        assert store.alerts.get(alert.alert_id).status is AlertStatus.resolved
        expected = ["firing", "acknowledged", "resolved"] if status == 200 else ["firing", "resolved"]
        assert status in (200, 409) and events(store, alert.alert_id) == expected
