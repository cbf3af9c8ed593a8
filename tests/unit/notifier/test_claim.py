"""Claim: the ledger and breakers read in batches for a transition (one at a time for a retry
round), the step decided, a `sending` claim taken for a send, a final outcome set for the rest."""

from __future__ import annotations

from datetime import timedelta

from alerting.models.channels import Channel, DeliveryStatus
from alerting.models.common import epoch
from alerting.repositories.breakers import Breaker
from notifier.pipeline import Act, RetryPolicy, Suppression
from notifier.records import round_record
from notifier.stages.base import Delivery
from notifier.stages.claim import Claim
from tests.factories import T0
from tests.fakes import FakeBreakers, FakeLedger
from tests.unit.notifier.builders import SLACK, TOPIC, notice


class CountingLedger(FakeLedger):
    def __init__(self) -> None:
        super().__init__()
        self.reads: list[str] = []

    def get_delivery(self, alert_id, seq, channel_id):
        self.reads.append(f"get {channel_id}")
        return super().get_delivery(alert_id, seq, channel_id)

    def get_deliveries(self, alert_id, seq, channel_ids):
        self.reads.append(f"batch {','.join(channel_ids)}")
        return super().get_deliveries(alert_id, seq, channel_ids)


class CountingBreakers(FakeBreakers):
    def __init__(self) -> None:
        super().__init__()
        self.reads: list[str] = []

    def get(self, channel_id):
        self.reads.append(f"get {channel_id}")
        return super().get(channel_id)

    def get_many(self, channel_ids):
        self.reads.append(f"batch {','.join(channel_ids)}")
        return {c: self.breakers.get(c, Breaker(c)) for c in channel_ids}


def claim(ledger=None, breakers=None) -> Claim:
    return Claim(ledger or FakeLedger(), breakers or FakeBreakers(), RetryPolicy(lease_seconds=120), lambda: T0)


def test_a_transitions_targets_are_read_in_one_batch_each_and_settled_ones_need_no_breaker():
    ledger, breakers = CountingLedger(), CountingBreakers()
    fired = notice()
    ledger.save_delivery(
        round_record(fired, "ops-slack", SLACK.type, None, T0).model_copy(update={"status": DeliveryStatus.delivered})
    )
    deliveries = [
        Delivery(fired, TOPIC.channel_id, TOPIC),
        Delivery(fired, "ops-slack", SLACK),
        Delivery(fired, "x", None),
    ]

    claim(ledger, breakers).read_ahead(deliveries)

    assert ledger.reads == ["batch alerts-topic,ops-slack,x"] and breakers.reads == ["batch alerts-topic"]
    assert [(d.known, d.breaker is not None) for d in deliveries] == [(True, True), (True, False), (True, False)]


def test_targets_routing_read_already_read_only_their_breakers():
    ledger, breakers = CountingLedger(), CountingBreakers()
    deliveries = [Delivery(notice(), "ops-slack", SLACK, known=True)]
    claim(ledger, breakers).read_ahead(deliveries)
    assert ledger.reads == [] and breakers.reads == ["batch ops-slack"]


def test_a_retry_round_reads_its_record_and_breaker_one_at_a_time():
    ledger, breakers = CountingLedger(), CountingBreakers()
    claim(ledger, breakers)(Delivery(notice(), "ops-slack", SLACK))
    assert ledger.reads == ["get ops-slack"] and breakers.reads == ["get ops-slack"]


def test_a_send_takes_a_sending_claim_with_a_lease():
    ledger = FakeLedger()
    delivery = claim(ledger)(Delivery(notice(), "ops-slack", SLACK))
    assert delivery.step.act is Act.send
    assert (delivery.claim.status, delivery.claim.lease_until, delivery.claim.rounds) == (
        DeliveryStatus.sending,
        epoch(T0) + 120,
        1,
    )
    assert ledger.get_delivery("a-1", 1, "ops-slack") == delivery.claim and delivery.outcome is None


def test_a_lost_claim_race_holds_the_target_and_sends_nothing():
    ledger = FakeLedger()
    fired = notice()
    theirs = round_record(fired, "ops-slack", SLACK.type, None, T0).model_copy(update={"lease_until": epoch(T0) + 60})
    # another invocation claims between our read and our write
    delivery = Delivery(fired, "ops-slack", SLACK, known=True, breaker=Breaker("ops-slack"))
    ledger.save_delivery(theirs)
    delivery = claim(ledger)(delivery)
    assert delivery.step.act is Act.hold and delivery.claim is not None and delivery.outcome is None
    assert ledger.get_delivery("a-1", 1, "ops-slack") == theirs


def test_a_quieted_target_gets_its_final_outcome_naming_what_held_it():
    quiet = Suppression("muted by nights", mute_window_id="nights")
    delivery = claim()(Delivery(notice(), "ops-slack", SLACK, quiet=quiet))
    assert delivery.step.act is Act.record and delivery.claim is None
    outcome = delivery.outcome
    assert (outcome.status, outcome.error, outcome.mute_window_id, outcome.rounds) == (
        DeliveryStatus.suppressed,
        "muted by nights",
        "nights",
        0,
    )


def test_an_unknown_channel_is_given_up_as_a_webhook_delivery():
    outcome = claim()(Delivery(notice(), "gone", None)).outcome
    assert (outcome.status, outcome.error, outcome.channel_type) == (
        DeliveryStatus.failed,
        "channel not found",
        "webhook",
    )


def test_a_settled_target_is_kept_as_it_is():
    ledger = FakeLedger()
    fired = notice()
    done = round_record(fired, "ops-slack", SLACK.type, None, T0).model_copy(
        update={"status": DeliveryStatus.delivered}
    )
    ledger.save_delivery(done)
    delivery = claim(ledger)(Delivery(fired, "ops-slack", SLACK))
    assert (delivery.step.act, delivery.previous, delivery.outcome, delivery.claim) == (Act.keep, done, None, None)


def test_a_grouping_channel_is_left_to_the_group_stage():
    grouping = Channel.model_validate({**SLACK.model_dump(), "group_by": ["rule_id"]})
    delivery = claim()(Delivery(notice(), "ops-slack", grouping))
    assert delivery.step.act is Act.group and delivery.claim is None and delivery.outcome is None


def test_an_open_breaker_defers_without_a_claim():
    breakers = FakeBreakers()
    breakers.save(Breaker("ops-slack", failures=5, open_until=epoch(T0 + timedelta(minutes=1))))
    delivery = claim(breakers=breakers)(Delivery(notice(), "ops-slack", SLACK))
    assert delivery.step.act is Act.defer and delivery.claim is None
