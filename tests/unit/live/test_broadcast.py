"""The broadcaster: each transition to every matching connection, gone ones forgotten."""

from __future__ import annotations

from datetime import datetime

from live.broadcast import Broadcaster

from alerting.live import Subscription
from alerting.repositories.connections import Connection, PushFailed
from alerting.stream import Notice
from tests.factories import T0
from tests.unit.live.conftest import make_alert


class FakeConnections:
    def __init__(self, **subscriptions: dict) -> None:
        self.connections = [Connection(cid, Subscription.model_validate(s)) for cid, s in subscriptions.items()]
        self.reads = 0
        self.forgotten: list[str] = []

    def all(self, now: datetime) -> list[Connection]:
        self.reads += 1
        return list(self.connections)

    def disconnect(self, connection_id: str) -> None:
        self.forgotten.append(connection_id)


class FakePush:
    def __init__(self, gone: set[str] = frozenset(), failing: set[str] = frozenset()) -> None:
        self.gone, self.failing = gone, failing
        self.sent: list[tuple[str, bytes]] = []

    def __call__(self, connection_id: str, data: bytes) -> bool:
        if connection_id in self.failing:
            raise PushFailed("throttled")
        if connection_id in self.gone:
            return False
        self.sent.append((connection_id, data))
        return True


def notice(alert_id: str = "alert-1", **rule) -> Notice:
    alert = make_alert(alert_id, **rule)
    return Notice(alert, alert.last_transition.event, alert.version)


def test_broadcast_sends_each_transition_to_the_connections_whose_filter_matches():
    connections = FakeConnections(everything={}, critical={"severity": ["critical"]}, team={"labels": {"team": "web"}})
    push = FakePush()

    report = Broadcaster(connections, push).broadcast(
        [notice("a-high", severity="high", labels={"team": "web"}), notice("a-crit", severity="critical")], T0
    )

    heard = sorted((cid, data.decode().split('"alert_id":"')[1].split('"')[0]) for cid, data in push.sent)
    assert heard == [("critical", "a-crit"), ("everything", "a-crit"), ("everything", "a-high"), ("team", "a-high")]
    assert (report.transitions, report.pushed, report.gone, report.failed) == (2, 4, 0, 0)
    assert connections.reads == 1  # once per batch, not per record


def test_a_gone_connection_is_forgotten_once_and_skipped_for_the_rest_of_the_batch():
    connections = FakeConnections(left={}, stays={})
    push = FakePush(gone={"left"})

    report = Broadcaster(connections, push).broadcast([notice("a-1"), notice("a-2")], T0)

    assert connections.forgotten == ["left"]
    assert [cid for cid, _ in push.sent] == ["stays", "stays"]
    assert (report.pushed, report.gone) == (2, 1)


def test_a_failing_push_is_counted_and_does_not_stop_the_others():
    push = FakePush(failing={"flaky"})
    report = Broadcaster(FakeConnections(flaky={}, fine={}), push).broadcast([notice()], T0)
    assert (report.pushed, report.failed, report.gone) == (1, 1, 0)
    assert [cid for cid, _ in push.sent] == ["fine"]


def test_a_redelivered_batch_sends_the_same_messages_again():
    """At least once: the page keeps the highest version of each alert, so the repeat is a no-op there."""
    push = FakePush()
    broadcaster = Broadcaster(FakeConnections(page={}), push)
    batch = [notice("a-1")]
    broadcaster.broadcast(batch, T0)
    broadcaster.broadcast(batch, T0)
    assert push.sent[0] == push.sent[1]


def test_no_transitions_reads_no_connections():
    connections = FakeConnections(page={})
    assert Broadcaster(connections, FakePush()).broadcast([], T0).transitions == 0
    assert connections.reads == 0
