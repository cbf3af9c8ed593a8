"""Record: a delivery's outcome written (a final failure parked first; what a send did worth a
few tries), then what follows it scheduled on the retry queue."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from alerting.models.channels import DeliveryStatus
from alerting.models.common import epoch
from notifier.pipeline import RetryPolicy
from notifier.records import round_record
from notifier.stages.base import Delivery
from notifier.stages.record import Record
from notifier.transitions import Flush
from tests.factories import T0
from tests.fakes import FakeLedger, Parked
from tests.unit.notifier.builders import SLACK, notice


class World:
    def __init__(self) -> None:
        self.ledger, self.parked, self.sleeps = FakeLedger(), Parked(), []
        self.rounds: list[tuple[int, str, int]] = []
        self.flushes: list[tuple[Flush, int]] = []
        self.record = Record(
            self.ledger,
            self.parked,
            lambda n, channel_id, delay: self.rounds.append((n.seq, channel_id, delay)),
            lambda flush, delay: self.flushes.append((flush, delay)),
            RetryPolicy(save_attempts=3, base_delay=0.5),
            self.sleeps.append,
            lambda: T0,
        )


def with_outcome(status: str, **update) -> Delivery:
    fired = notice()
    outcome = round_record(fired, "ops-slack", SLACK.type, None, T0).model_copy(
        update={"status": DeliveryStatus(status), **update}
    )
    return Delivery(fired, "ops-slack", SLACK, outcome=outcome)


def test_a_final_failure_is_parked_with_its_document_then_recorded():
    world = World()
    result = world.record(with_outcome("failed", error="answered 400"))
    (parked,) = world.parked.messages
    assert parked["delivery"]["status"] == "failed" and parked["document"]["alert"]["alert_id"] == "a-1"
    assert world.ledger.get_delivery("a-1", 1, "ops-slack") == result and world.rounds == []


def test_what_a_send_did_is_written_again_after_a_throttle():
    world = World()
    world.ledger.failing_saves = ["delivered", "delivered"]
    world.record(with_outcome("delivered"))
    assert world.ledger.get_delivery("a-1", 1, "ops-slack").status is DeliveryStatus.delivered
    assert world.sleeps == [0.5, 1.0]


def test_a_send_that_cannot_be_recorded_fails_the_batch_item():
    world = World()
    world.ledger.failing_saves = ["delivered"] * 3
    with pytest.raises(ClientError):
        world.record(with_outcome("delivered"))


def test_an_outcome_without_a_send_is_written_once():
    world = World()
    world.ledger.failing_saves = ["suppressed"]
    with pytest.raises(ClientError):
        world.record(with_outcome("suppressed"))
    assert world.sleeps == []


def test_a_retrying_delivery_is_scheduled_for_its_next_round():
    world = World()
    world.record(with_outcome("retrying", next_attempt_at=epoch(T0) + 30))
    assert world.rounds == [(1, "ops-slack", 30)]


def test_a_claim_held_elsewhere_is_looked_at_again_when_its_lease_ends():
    world = World()
    fired = notice()
    theirs = round_record(fired, "ops-slack", SLACK.type, None, T0).model_copy(update={"lease_until": epoch(T0) + 60})
    result = world.record(Delivery(fired, "ops-slack", SLACK, claim=theirs))
    assert result == theirs and world.ledger.records == {} and world.rounds == [(1, "ops-slack", 60)]


def test_a_settled_delivery_found_as_it_is_writes_and_schedules_nothing():
    world = World()
    done = with_outcome("delivered").outcome
    assert world.record(Delivery(notice(), "ops-slack", SLACK, previous=done)) == done
    assert world.ledger.records == {} and world.rounds == []


def test_a_group_opened_by_this_member_has_its_message_scheduled_after_the_record():
    world = World()
    delivery = with_outcome("grouped")
    delivery.flush = (Flush("ops-slack", "k"), 30)
    world.record(delivery)
    assert world.flushes == [(Flush("ops-slack", "k"), 30)] and world.ledger.records
