"""Group: a transition joins its group's next message (the first member schedules it); when the
message is due, the members still waiting for it are gathered."""

from __future__ import annotations

from alerting.errors import NotFound
from alerting.models.channels import Channel, DeliveryStatus
from alerting.models.common import epoch
from notifier.pipeline import GROUP_GRACE, Act, Step
from notifier.records import round_record
from notifier.stages.base import Delivery
from notifier.stages.group import Group
from notifier.transitions import Flush
from tests.factories import T0
from tests.fakes import FakeLedger
from tests.unit.notifier.builders import SLACK, FakeGroups, notice

GROUPING = Channel.model_validate({**SLACK.model_dump(), "group_by": ["rule_id"], "group_wait_seconds": 30})


class AlertsLedger(FakeLedger):
    """The delivery records, and the alerts they belong to."""

    def __init__(self) -> None:
        super().__init__()
        self.alerts: dict = {}

    def get(self, alert_id):
        if alert_id not in self.alerts:
            raise NotFound("alert", alert_id)
        return self.alerts[alert_id]


def group(ledger=None, groups=None, flushes=None, channel=GROUPING) -> Group:
    def lookup(channel_id: str) -> Channel:
        if channel is None:
            raise NotFound("channel", channel_id)
        return channel

    return Group(
        groups if groups is not None else FakeGroups(),
        ledger or AlertsLedger(),
        lookup,
        lambda flush, delay: (flushes if flushes is not None else []).append((flush, delay)),
        lambda: T0,
    )


def joining(seq: int = 1) -> Delivery:
    return Delivery(notice(seq=seq), "ops-slack", GROUPING, step=Step(Act.group))


def test_the_first_member_opens_the_group_and_schedules_its_message_later_ones_only_join():
    stage = group()
    first, second = stage(joining(1)), stage(joining(2))
    assert first.flush is not None and first.flush[1] == 30 and second.flush is None
    flush, _ = first.flush
    outcome = first.outcome
    assert (outcome.status, outcome.rounds, outcome.group_id, outcome.next_attempt_at) == (
        DeliveryStatus.grouped,
        0,
        f"ops-slack:{flush.key}",
        epoch(T0) + 30 + GROUP_GRACE,
    )


def test_a_message_that_comes_early_is_scheduled_again_for_when_the_group_is_due():
    groups, flushes = FakeGroups(), []
    flush = group(groups=groups)(joining()).flush[0]
    stage = group(groups=groups, flushes=flushes)
    groups.waiting[("ops-slack", flush.key)] = (["a-1|1"], epoch(T0) + 30)
    assert stage.gather(flush) is None
    assert flushes == [(flush, 30)]


def test_a_due_message_gathers_the_members_still_waiting_with_their_alerts():
    ledger = AlertsLedger()
    fired = notice()
    ledger.alerts["a-1"] = fired.alert
    waiting = round_record(fired, "ops-slack", GROUPING.type, None, T0).model_copy(
        update={"status": DeliveryStatus.grouped}
    )
    sent = round_record(notice(seq=2), "ops-slack", GROUPING.type, None, T0).model_copy(
        update={"status": DeliveryStatus.delivered}
    )
    ledger.save_delivery(waiting)
    ledger.save_delivery(sent)

    batch = group(ledger).gather(Flush("ops-slack", "k", ("a-1|1", "a-1|2")))

    assert batch is not None and batch.channel == GROUPING and batch.alerts == [fired.alert]
    assert batch.members == ("a-1|1", "a-1|2")  # every member travels with a retry
    assert [(d.notice.seq, d.previous) for d in batch.deliveries] == [(1, waiting)]  # the settled one is left out


def test_a_group_whose_channel_is_gone_is_gathered_without_it():
    ledger = AlertsLedger()
    fired = notice()
    ledger.alerts["a-1"] = fired.alert
    ledger.save_delivery(
        round_record(fired, "ops-slack", GROUPING.type, None, T0).model_copy(update={"status": DeliveryStatus.grouped})
    )
    batch = group(ledger, channel=None).gather(Flush("ops-slack", "k", ("a-1|1",)))
    assert batch is not None and batch.channel is None


def test_a_duplicate_message_gathers_nothing():
    assert group().gather(Flush("ops-slack", "k")) is None
