"""The notifier's stages together, over fakes: at most once per (transition, channel), rounds
on the retry queue, circuit breaker, ledger, dead-letter parking."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from alerting.channels.base import Receipt, Sender
from alerting.errors import DeliveryError
from alerting.lifecycle import acknowledge
from alerting.models.channels import Channel, DeliveryStatus
from alerting.models.common import AlertEvent, epoch
from alerting.models.silences import Silence
from alerting.stream import Notice
from notifier.chain import Notifier
from notifier.pipeline import Quieting, RetryPolicy
from notifier.records import round_record
from notifier.stages.route import TOPIC_CHANNEL_ID
from tests.factories import T0, make_silence
from tests.fakes import FakeBreakers, FakeLedger, Parked, ScriptedSender, permanent, retryable
from tests.unit.notifier.builders import SLACK, directory, make_notifier, notice


@dataclass
class World:
    """The notifier over fakes, with a clock the test moves and the retry queue it fills."""

    senders: dict[str, ScriptedSender] = field(
        default_factory=lambda: {"ops-slack": ScriptedSender(), TOPIC_CHANNEL_ID: ScriptedSender()}
    )
    channels: dict[str, Channel] = field(default_factory=lambda: {"ops-slack": SLACK})
    sleeps: list[float] = field(default_factory=list)
    parked: Parked = field(default_factory=Parked)
    ledger: FakeLedger = field(default_factory=FakeLedger)
    breakers: FakeBreakers = field(default_factory=FakeBreakers)
    scheduled: list[tuple[int, str, int]] = field(default_factory=list)  # (seq, channel_id, delay)
    silences: list[Silence] = field(default_factory=list)
    retry: RetryPolicy = field(
        default_factory=lambda: RetryPolicy(
            attempts_per_round=3, max_rounds=3, base_delay=0.1, max_delay=5, first_backoff=30
        )
    )
    sender_for: Callable[[Channel], Sender] | None = None  # None: the scripted senders
    now: datetime = T0

    @property
    def notifier(self) -> Notifier:
        """Built from the world as it is now (a test may swap the retry policy or the senders)."""
        return make_notifier(
            ledger=self.ledger,
            channel=directory(self.channels),
            sender_for=self.sender_for or (lambda channel: self.senders[channel.channel_id]),
            breakers=self.breakers,
            park=self.parked,
            schedule=lambda n, channel_id, delay: self.scheduled.append((n.seq, channel_id, delay)),
            quieting=lambda: Quieting(silences=self.silences),
            retry=self.retry,
            sleep=self.sleeps.append,
            clock=lambda: self.now,
        )

    def record(self, channel_id: str = "ops-slack", seq: int = 1):
        return self.ledger.get_delivery("a-1", seq, channel_id)

    def run_scheduled(self) -> None:
        """Let the due rounds on the retry queue run, as the queue's event source would."""
        pending, self.scheduled = self.scheduled, []
        for seq, channel_id, delay in pending:
            self.now = max(self.now, self.now + timedelta(seconds=delay))
            self.notifier.retry(notice(seq=seq), channel_id)


@pytest.fixture
def world() -> World:
    return World()


def test_every_transition_goes_to_the_topic_and_the_rules_channels(world):
    records = world.notifier.transition(notice())
    assert [(r.channel_id, r.status, r.attempts) for r in records] == [
        (TOPIC_CHANNEL_ID, DeliveryStatus.delivered, 1),
        ("ops-slack", DeliveryStatus.delivered, 1),
    ]
    assert world.senders["ops-slack"].sent[0].delivery_id == "a-1:1:ops-slack"
    assert world.scheduled == []


def test_redelivered_record_sends_nothing_twice(world):
    world.notifier.transition(notice())
    world.notifier.transition(notice())
    assert len(world.senders["ops-slack"].sent) == 1 and len(world.senders[TOPIC_CHANNEL_ID].sent) == 1


def test_retryable_failures_are_retried_with_backoff_within_the_round(world):
    world.senders["ops-slack"].script = [retryable(500), retryable(503), Receipt(http_status=200)]
    (_, slack) = world.notifier.transition(notice())
    assert (slack.status, slack.attempts, slack.http_status) == (DeliveryStatus.delivered, 3, 200)
    assert len(world.sleeps) == 2 and all(0 <= s <= 5 for s in world.sleeps)


def test_429_honours_a_short_retry_after_within_the_round(world):
    world.senders["ops-slack"].script = [retryable(429, retry_after=2.0)]
    world.notifier.transition(notice())
    assert world.sleeps == [2.0]


def test_a_failed_round_is_scheduled_on_the_retry_queue_and_the_stream_moves_on(world):
    # Given Slack answering 500 for a whole round
    world.senders["ops-slack"].script = [retryable(500)] * 3
    # When the transition arrives
    (topic, slack) = world.notifier.transition(notice())
    # Then nothing raises, the record waits for its next round, and that round is scheduled
    assert topic.status is DeliveryStatus.delivered
    assert (slack.status, slack.attempts, slack.rounds) == (DeliveryStatus.retrying, 3, 1)
    assert slack.next_attempt_at == epoch(T0) + 30
    assert world.scheduled == [(1, "ops-slack", 30)]
    # And the next round delivers, without sending to the topic again
    world.run_scheduled()
    assert world.record().status is DeliveryStatus.delivered
    assert len(world.senders[TOPIC_CHANNEL_ID].sent) == 1


def test_long_retry_after_is_honoured_by_the_next_round(world):
    world.senders["ops-slack"].script = [retryable(429, retry_after=60)]
    world.notifier.transition(notice())
    assert world.sleeps == [] and world.scheduled == [(1, "ops-slack", 60)]


def test_backoff_between_rounds_doubles(world):
    world.retry = RetryPolicy(max_rounds=10)
    world.senders["ops-slack"].script = [retryable(500)] * 9
    world.notifier.transition(notice())
    world.run_scheduled()
    world.run_scheduled()
    assert [d for _, _, d in world.scheduled] == [120]
    assert world.record().rounds == 3


def test_a_round_that_arrives_early_waits_again(world):
    world.senders["ops-slack"].script = [retryable(500)] * 3
    world.notifier.transition(notice())
    world.scheduled.clear()
    world.notifier.retry(notice(), "ops-slack")  # e.g. a redelivered queue message
    assert world.scheduled == [(1, "ops-slack", 30)] and len(world.senders["ops-slack"].sent) == 3


def test_permanent_failure_is_recorded_parked_and_not_retried(world):
    world.senders["ops-slack"].script = [permanent(400)]
    world.notifier.transition(notice())
    record = world.record()
    assert (record.status, record.attempts, record.http_status) == (DeliveryStatus.failed, 1, 400)
    assert len(world.senders["ops-slack"].sent) == 1 and world.sleeps == [] and world.scheduled == []
    assert world.parked.messages[0]["delivery"]["channel_id"] == "ops-slack"
    assert world.parked.messages[0]["document"]["alert"]["alert_id"] == "a-1"


def test_a_final_failure_is_parked_even_when_recording_it_fails(world):
    # Given a permanent failure whose `failed` record cannot be saved (the table throttles on)
    world.senders["ops-slack"].script = [permanent(400), permanent(400)]
    world.ledger.failing_saves = ["failed"] * world.retry.save_attempts

    # When the invocation gives up (the batch item fails)
    with pytest.raises(ClientError):
        world.notifier.transition(notice())

    # Then the failure is in the dead-letter queue already, and the redelivery after the claim's
    # lease settles it (parking it again rather than never)
    assert [m["delivery"]["channel_id"] for m in world.parked.messages] == ["ops-slack"]
    world.now += timedelta(seconds=world.retry.lease_seconds + 1)
    world.notifier.transition(notice())
    assert world.record().status is DeliveryStatus.failed
    assert len(world.parked.messages) == 2


def test_a_throttled_save_after_a_successful_send_is_retried_not_resent(world):
    # Given the `delivered` record is throttled twice
    world.ledger.failing_saves = ["delivered", "delivered"]

    # When the transition is delivered, and its stream record redelivered later
    world.notifier.transition(notice())
    world.now += timedelta(minutes=10)
    world.notifier.transition(notice())

    # Then each target was sent once and recorded delivered
    assert [len(s.sent) for s in world.senders.values()] == [1, 1]
    assert world.record().status is DeliveryStatus.delivered


def test_a_channel_that_keeps_failing_ends_failed_after_max_rounds(world):
    world.senders["ops-slack"].script = [retryable(500)] * 100
    world.notifier.transition(notice())
    world.run_scheduled()
    world.run_scheduled()  # third round: given up, recorded and parked
    record = world.record()
    assert (record.status, record.rounds, record.attempts) == (DeliveryStatus.failed, 3, 9)
    assert len(world.parked.messages) == 1 and world.scheduled == []


def test_circuit_breaker_pauses_a_failing_channel_until_it_closes(world):
    # Given a channel whose deliveries failed 5 times in a row (each round: 3 sends)
    world.retry = RetryPolicy(max_rounds=10)
    world.senders["ops-slack"].script = [retryable(500)] * 15
    for seq in range(1, 6):
        world.notifier.transition(notice(seq=seq))
    breaker = world.breakers.get("ops-slack")
    assert breaker.is_open(epoch(T0))

    # When the next transition arrives, Then nothing is sent; its round waits for the breaker
    world.scheduled.clear()
    record = world.notifier.transition(notice(seq=6))[1]
    assert len(world.senders["ops-slack"].sent) == 15
    assert (record.status, record.next_attempt_at) == (DeliveryStatus.retrying, breaker.open_until)
    assert "circuit open" in record.error
    assert world.scheduled == [(6, "ops-slack", breaker.open_until - epoch(T0))]


def test_success_closes_the_breaker(world):
    world.senders["ops-slack"].script = [retryable(500), Receipt()]
    world.notifier.transition(notice())
    assert world.breakers.get("ops-slack").failures == 0


def test_filters_and_disabled_channels_are_recorded_as_suppressed(world):
    world.channels["ops-slack"] = Channel.model_validate(
        {**SLACK.model_dump(), "filters": {"min_severity": "critical"}}
    )
    (_, slack) = world.notifier.transition(notice(severity="high"))
    assert (slack.status, slack.error) == (DeliveryStatus.suppressed, "filtered out")
    assert world.senders["ops-slack"].sent == []


def test_unknown_channel_is_recorded_as_failed_and_parked_once(world):
    (_, missing) = world.notifier.transition(notice(channels=["gone"]))
    world.notifier.transition(notice(channels=["gone"]))
    assert (missing.channel_id, missing.status, missing.error) == ("gone", DeliveryStatus.failed, "channel not found")
    assert len(world.parked.messages) == 1


def test_a_delivery_held_by_another_invocation_is_not_sent_again(world):
    first = notice()
    lease = epoch(T0) + 60
    world.ledger.save_delivery(
        round_record(first, "ops-slack", SLACK.type, None, T0).model_copy(update={"lease_until": lease})
    )
    world.notifier.transition(first)
    assert world.senders["ops-slack"].sent == []
    assert world.scheduled == [(1, "ops-slack", 60)]  # looked at again when the lease ends


def test_an_expired_claim_is_taken_over(world):
    first = notice()
    lease = epoch(T0 - timedelta(minutes=5))
    world.ledger.save_delivery(
        round_record(first, "ops-slack", SLACK.type, None, T0).model_copy(update={"lease_until": lease})
    )
    world.notifier.transition(first)
    assert len(world.senders["ops-slack"].sent) == 1


def test_each_transition_of_an_alert_is_its_own_delivery(world):
    fired = notice()
    acked, _ = acknowledge(fired.alert, "alice", T0 + timedelta(minutes=1))
    world.notifier.transition(fired)
    world.notifier.transition(Notice(acked, AlertEvent.acknowledged, acked.version))
    assert [m.event for m in world.senders["ops-slack"].sent] == [AlertEvent.firing, AlertEvent.acknowledged]


def test_a_transition_that_reads_the_alerts_ledger_to_route_reads_its_own_records_from_it(world, monkeypatch):
    fired = notice()
    world.notifier.transition(fired)
    acked, _ = acknowledge(fired.alert, "alice", T0 + timedelta(minutes=1))
    batched: list[int] = []
    real = world.ledger.get_deliveries
    monkeypatch.setattr(world.ledger, "get_deliveries", lambda *a: batched.append(1) or real(*a))

    world.notifier.transition(Notice(acked, AlertEvent.acknowledged, acked.version))
    world.notifier.transition(Notice(acked, AlertEvent.acknowledged, acked.version))  # redelivered

    assert batched == []  # the ledger Query that found who heard it also held this transition's records
    assert [m.event for m in world.senders["ops-slack"].sent] == [AlertEvent.firing, AlertEvent.acknowledged]


def test_a_misconfigured_channel_is_recorded_as_failed_not_raised(world):
    def broken(channel):
        raise DeliveryError("slack channel is misconfigured: webhook_url: Field required", retryable=False)

    world.sender_for = broken
    records = world.notifier.transition(notice())
    assert [r.status for r in records] == [DeliveryStatus.failed, DeliveryStatus.failed]
    assert "webhook_url" in world.record().error
    assert len(world.parked.messages) == 2


@pytest.mark.parametrize("where", ["sender_for", "send"])
def test_an_unexpected_error_releases_the_claim_and_is_retried(world, where):
    # Given a channel whose preparation (SSM) or send raises something unclassified
    def boom(*_args):
        raise RuntimeError("throttled")

    if where == "sender_for":
        world.sender_for = boom
    else:
        world.senders["ops-slack"].send = boom
        world.senders[TOPIC_CHANNEL_ID].send = boom

    # When the record is processed, Then the round is scheduled again and the claim is released
    world.notifier.transition(notice())
    record = world.record()
    assert (record.status, record.lease_until) == (DeliveryStatus.retrying, None)
    assert "RuntimeError" in record.error and "throttled" not in record.error
    assert "ops-slack" in {c for _, c, _ in world.scheduled}


def test_a_silenced_transition_is_suppressed_for_every_target_naming_the_silence(world):
    # Given a silence over the rule's alerts, active when the transition happened
    world.silences = [make_silence(starts_at=T0 - timedelta(minutes=5))]

    records = world.notifier.transition(notice())

    # Then nothing was sent, and each target's record says which silence held it
    assert [(r.channel_id, r.status, r.silence_id) for r in records] == [
        (TOPIC_CHANNEL_ID, DeliveryStatus.suppressed, "drill"),
        ("ops-slack", DeliveryStatus.suppressed, "drill"),
    ]
    assert [len(s.sent) for s in world.senders.values()] == [0, 0]
