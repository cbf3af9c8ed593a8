"""Grouped notifications on moto: the group store (join, take, group_interval), and the
notifier's group message sent once, retried as one when it fails, given up as one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerting.evaluation import AlertChange, initial_state
from alerting.lifecycle import recover, start_alert
from alerting.models.alerts import AlertKind
from alerting.models.channels import Channel, DeliveryStatus
from alerting.models.common import AlertEvent, epoch
from alerting.repositories.alerts import AlertRepository
from alerting.repositories.breakers import BreakerStore
from alerting.repositories.groups import GroupStore
from alerting.stream import Notice
from notifier.pipeline import RetryPolicy
from notifier.stages.route import TOPIC_CHANNEL_ID
from notifier.transitions import Flush
from tests.factories import T0, make_rule
from tests.fakes import Parked, ScriptedSender, retryable
from tests.unit.notifier.builders import make_notifier


@pytest.fixture
def groups(aws):
    return GroupStore(aws.client("dynamodb"), aws.env("NotifierFunction")["CONFIG_TABLE"])


def test_the_first_member_opens_the_group_and_a_take_empties_it_once(groups):
    now = epoch(T0)
    first = groups.join("ops", "k", "a|1", wait=30, interval=300, now=now)
    second = groups.join("ops", "k", "b|1", wait=30, interval=300, now=now + 5)
    assert (first.opened, first.flush_at, second.opened, second.flush_at) == (True, now + 30, False, now + 30)
    assert groups.take("ops", "k", now + 10) == ([], now + 30)  # not due yet
    assert groups.take("ops", "k", now + 30) == (["a|1", "b|1"], None)
    assert groups.take("ops", "k", now + 31) == ([], None)  # a duplicate flush finds nothing


def test_after_a_message_the_next_waits_for_the_group_interval(groups):
    now = epoch(T0)
    groups.join("ops", "k", "a|1", wait=30, interval=300, now=now)
    groups.take("ops", "k", now + 30)
    later = groups.join("ops", "k", "a|2", wait=30, interval=300, now=now + 60)
    assert (later.opened, later.flush_at) == (True, now + 30 + 300)


@pytest.fixture
def world(aws, groups):
    dynamodb = aws.client("dynamodb")
    env = aws.env("NotifierFunction")
    ledger = AlertRepository(dynamodb, env["ALERTS_TABLE"], env["ALERT_LOG_TABLE"])
    channel = Channel(
        channel_id="ops", name="ops", type="slack", target={}, group_by=["rule_id"], group_wait_seconds=30
    )
    sender = ScriptedSender()
    flushes: list[tuple[Flush, int]] = []
    clock = [T0]
    parked = Parked()
    notifier = make_notifier(
        ledger=ledger,
        channel=lambda _: channel,
        sender_for=lambda _: sender,
        breakers=BreakerStore(dynamodb, env["CONFIG_TABLE"]),
        park=parked,
        schedule=lambda *_: None,
        groups=groups,
        schedule_flush=lambda flush, delay: flushes.append((flush, delay)),
        retry=RetryPolicy(attempts_per_round=1, max_rounds=2),
        sleep=lambda _: None,
        clock=lambda: clock[0],
    )

    def fire(alert_id: str, instance: str) -> Notice:
        rule = make_rule(channels=["ops"])
        state = initial_state(rule, {"InstanceId": instance})
        alert = start_alert(rule, state, AlertChange(AlertKind.threshold, alert_id, "breached"), [], clock[0])
        dynamodb.transact_write_items(TransactItems=ledger.write_ops(alert, alert.last_transition))
        return Notice(alert, AlertEvent.firing, 1)

    def resolve(notice: Notice) -> Notice:
        resolved, transition = recover(notice.alert, make_rule(channels=["ops"]), [], clock[0], reason="recovered")
        dynamodb.transact_write_items(TransactItems=ledger.write_ops(resolved, transition))
        return Notice(resolved, AlertEvent.resolved, transition.seq)

    return notifier, sender, flushes, clock, fire, resolve, parked


def test_members_of_one_group_go_out_as_one_message_and_a_resolve_within_the_wait_shows_as_resolved(world):
    notifier, sender, flushes, clock, fire, resolve, _ = world
    a, b = fire("a", "i-1"), fire("b", "i-2")
    for notice in (a, b):
        (_, ops) = notifier.transition(notice)
        assert ops.status is DeliveryStatus.grouped
    clock[0] = T0 + timedelta(seconds=10)
    (_, ops) = notifier.transition(resolve(a))  # "a" recovers within the wait
    assert ops.status is DeliveryStatus.grouped
    assert [delay for _, delay in flushes] == [30]  # one flush scheduled, by the first member

    clock[0] = T0 + timedelta(seconds=30)
    records = notifier.flush(flushes[0][0])
    (group,) = sender.groups
    # one line per alert, each as it is now: "b" firing first, "a" resolved
    assert [(x.alert_id, x.last_transition.event) for x in group.alerts] == [("b", "firing"), ("a", "resolved")]
    assert all(m.delivery_id.endswith(TOPIC_CHANNEL_ID) for m in sender.sent)  # only the topic, one by one
    assert len(records) == 3  # a's firing and resolution, b's firing
    assert {r.status for r in records} == {DeliveryStatus.delivered} and len({r.group_id for r in records}) == 1
    assert notifier.flush(flushes[0][0]) == []  # a duplicate flush sends nothing


def test_a_failed_group_message_is_retried_as_one_then_given_up_as_one(world):
    notifier, sender, flushes, clock, fire, _, parked = world
    notifier.transition(fire("a", "i-1"))
    notifier.transition(fire("b", "i-2"))
    sender.script = [retryable(500), retryable(500)]
    clock[0] = T0 + timedelta(seconds=30)

    retrying = notifier.flush(flushes[0][0])
    assert {r.status for r in retrying} == {DeliveryStatus.grouped} and len(flushes) == 2
    retry, delay = flushes[1]
    assert (retry.members, retry.rounds, delay) == (("a|1", "b|1"), 1, 30)

    clock[0] += timedelta(seconds=delay)
    failed = notifier.flush(retry)
    assert {r.status for r in failed} == {DeliveryStatus.failed} and len(sender.groups) == 2
    assert len(parked.messages) == 2  # each member's delivery, with its document, in the DLQ
