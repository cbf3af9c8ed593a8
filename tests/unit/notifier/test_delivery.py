"""The delivery pipeline: at most once per (transition, channel), retries, breaker, ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerting.channels.base import Receipt
from alerting.evaluation import AlertChange, initial_state
from alerting.lifecycle import acknowledge, start_alert
from alerting.models.alerts import AlertKind
from alerting.models.channels import Channel, DeliveryStatus
from alerting.models.common import AlertEvent
from notifier.delivery import TOPIC_CHANNEL_ID, Deliverer, DeliveryPending, RetryPolicy
from notifier.transitions import Notice
from tests.factories import T0, make_rule
from tests.fakes import FakeBreakers, FakeLedger, Parked, ScriptedSender, permanent, retryable

SLACK = Channel(channel_id="ops-slack", name="Ops", type="slack", target={})


def notice(channels: list[str] = ["ops-slack"], severity: str = "high") -> Notice:  # noqa: B006
    rule = make_rule(channels=channels, severity=severity)
    alert = start_alert(rule, initial_state(rule), AlertChange(AlertKind.threshold, "a-1", "2 of 2"), [], T0)
    return Notice(alert, AlertEvent.firing, 1)


@pytest.fixture
def world():
    senders = {"ops-slack": ScriptedSender(), TOPIC_CHANNEL_ID: ScriptedSender()}
    channels = {"ops-slack": SLACK}
    sleeps: list[float] = []
    parked = Parked()
    ledger = FakeLedger()
    breakers = FakeBreakers()

    def lookup(channel_id: str) -> Channel:
        from alerting.errors import NotFound

        if channel_id not in channels:
            raise NotFound("channel", channel_id)
        return channels[channel_id]

    deliverer = Deliverer(
        ledger=ledger,  # type: ignore[arg-type]
        channel_lookup=lookup,
        sender_for=lambda channel: senders[channel.channel_id],
        breakers=breakers,  # type: ignore[arg-type]
        park=parked,
        topic_channel=Channel(
            channel_id=TOPIC_CHANNEL_ID,
            name="topic",
            type="sns",
            target={"topic_arn": "arn:aws:sns:us-east-1:123456789012:t"},
        ),
        retry=RetryPolicy(attempts_per_round=3, max_rounds=3, base_delay=0.1, max_delay=5),
        sleep=sleeps.append,
        clock=lambda: T0,
    )
    return deliverer, senders, channels, sleeps, parked, ledger, breakers


def test_every_transition_goes_to_the_topic_and_the_rules_channels(world):
    deliverer, senders, *_ = world
    records = deliverer.deliver_all(notice())
    assert [(r.channel_id, r.status, r.attempts) for r in records] == [
        (TOPIC_CHANNEL_ID, DeliveryStatus.delivered, 1),
        ("ops-slack", DeliveryStatus.delivered, 1),
    ]
    assert senders["ops-slack"].sent[0].delivery_id == "a-1:1:ops-slack"


def test_redelivered_record_sends_nothing_twice(world):
    deliverer, senders, *_ = world
    deliverer.deliver_all(notice())
    deliverer.deliver_all(notice())
    assert len(senders["ops-slack"].sent) == 1 and len(senders[TOPIC_CHANNEL_ID].sent) == 1


def test_retryable_failures_are_retried_with_backoff_within_the_invocation(world):
    deliverer, senders, _, sleeps, *_ = world
    senders["ops-slack"].script = [retryable(500), retryable(503), Receipt(http_status=200)]
    (_, slack) = deliverer.deliver_all(notice())
    assert (slack.status, slack.attempts, slack.http_status) == (DeliveryStatus.delivered, 3, 200)
    assert len(sleeps) == 2 and all(0 <= s <= 5 for s in sleeps)


def test_429_honours_retry_after(world):
    deliverer, senders, _, sleeps, *_ = world
    senders["ops-slack"].script = [retryable(429, retry_after=2.0)]
    deliverer.deliver_all(notice())
    assert sleeps == [2.0]


def test_long_retry_after_ends_the_round_and_the_stream_retries(world):
    deliverer, senders, _, sleeps, _, ledger, _ = world
    senders["ops-slack"].script = [retryable(429, retry_after=60)]
    with pytest.raises(DeliveryPending):
        deliverer.deliver_all(notice())
    assert sleeps == []
    record = ledger.get_delivery("a-1", 1, "ops-slack")
    assert (record.status, record.attempts, record.rounds) == (DeliveryStatus.retrying, 1, 1)
    # the redelivered record tries again and succeeds; the topic is not sent twice
    deliverer.deliver_all(notice())
    assert ledger.get_delivery("a-1", 1, "ops-slack").status is DeliveryStatus.delivered
    assert len(senders[TOPIC_CHANNEL_ID].sent) == 1


def test_permanent_failure_is_recorded_parked_and_not_retried(world):
    deliverer, senders, _, sleeps, parked, ledger, _ = world
    senders["ops-slack"].script = [permanent(400)]
    deliverer.deliver_all(notice())  # does not raise: nothing to retry
    record = ledger.get_delivery("a-1", 1, "ops-slack")
    assert (record.status, record.attempts, record.http_status) == (DeliveryStatus.failed, 1, 400)
    assert len(senders["ops-slack"].sent) == 1 and sleeps == []
    assert parked.messages[0]["delivery"]["channel_id"] == "ops-slack"
    assert parked.messages[0]["document"]["alert"]["alert_id"] == "a-1"


def test_a_channel_that_keeps_failing_ends_failed_after_max_rounds(world):
    deliverer, senders, _, _, parked, ledger, _ = world
    senders["ops-slack"].script = [retryable(500)] * 100
    for _ in range(2):
        with pytest.raises(DeliveryPending):
            deliverer.deliver_all(notice())
    deliverer.deliver_all(notice())  # third round: given up, recorded and parked
    record = ledger.get_delivery("a-1", 1, "ops-slack")
    assert (record.status, record.rounds) == (DeliveryStatus.failed, 3)
    assert len(parked.messages) == 1


def test_circuit_breaker_pauses_a_failing_channel_without_sending(world):
    # Given a channel whose deliveries failed 5 times in a row (each round: 3 sends)
    deliverer, senders, _, _, _, ledger, breakers = world
    senders["ops-slack"].script = [retryable(500)] * 15
    alert = notice().alert
    for seq in range(1, 6):
        with pytest.raises(DeliveryPending):
            deliverer.deliver_all(Notice(alert, AlertEvent.firing, seq))
    assert breakers.get("ops-slack").is_open(int(T0.timestamp()))

    # When the next transition arrives, Then nothing is sent to it and the record says why
    with pytest.raises(DeliveryPending):
        deliverer.deliver_all(Notice(alert, AlertEvent.firing, 6))
    assert len(senders["ops-slack"].sent) == 15
    assert "circuit open" in ledger.get_delivery("a-1", 6, "ops-slack").error


def test_success_closes_the_breaker(world):
    deliverer, senders, _, _, _, _, breakers = world
    senders["ops-slack"].script = [retryable(500), Receipt()]
    deliverer.deliver_all(notice())
    assert breakers.get("ops-slack").failures == 0


def test_filters_and_disabled_channels_are_recorded_as_suppressed(world):
    deliverer, senders, channels, *_ = world
    channels["ops-slack"] = Channel.model_validate({**SLACK.model_dump(), "filters": {"min_severity": "critical"}})
    (_, slack) = deliverer.deliver_all(notice(severity="high"))
    assert (slack.status, slack.error) == (DeliveryStatus.suppressed, "filtered out")
    assert senders["ops-slack"].sent == []


def test_unknown_channel_is_recorded_as_failed(world):
    deliverer, _, _, _, parked, _, _ = world
    (_, missing) = deliverer.deliver_all(notice(channels=["gone"]))
    assert (missing.channel_id, missing.status, missing.error) == (
        "gone",
        DeliveryStatus.failed,
        "channel not found",
    )
    assert len(parked.messages) == 1


def test_a_delivery_held_by_another_invocation_is_not_sent_again(world):
    deliverer, senders, _, _, _, ledger, _ = world
    first = notice()
    claim = deliverer._record(first, SLACK, None, DeliveryStatus.sending, lease_until=int(T0.timestamp()) + 60)
    ledger.save_delivery(claim)
    with pytest.raises(DeliveryPending):
        deliverer.deliver_all(first)
    assert senders["ops-slack"].sent == []


def test_an_expired_claim_is_taken_over(world):
    deliverer, senders, _, _, _, ledger, _ = world
    first = notice()
    ledger.save_delivery(
        deliverer._record(
            first,
            SLACK,
            None,
            DeliveryStatus.sending,
            lease_until=int((T0 - timedelta(minutes=5)).timestamp()),
        )
    )
    deliverer.deliver_all(first)
    assert len(senders["ops-slack"].sent) == 1


def test_each_transition_of_an_alert_is_its_own_delivery(world):
    deliverer, senders, *_ = world
    fired = notice()
    acked, _ = acknowledge(fired.alert, "alice", T0 + timedelta(minutes=1))
    deliverer.deliver_all(fired)
    deliverer.deliver_all(Notice(acked, AlertEvent.acknowledged, acked.version))
    assert [m.event for m in senders["ops-slack"].sent] == [AlertEvent.firing, AlertEvent.acknowledged]


def test_a_misconfigured_channel_is_recorded_as_failed_not_raised(world):
    deliverer, _, _, _, parked, ledger, _ = world
    from alerting.errors import DeliveryError

    def broken(channel):
        raise DeliveryError("slack channel is misconfigured: webhook_url: Field required", retryable=False)

    deliverer.sender_for = broken
    records = deliverer.deliver_all(notice())
    assert [r.status for r in records] == [DeliveryStatus.failed, DeliveryStatus.failed]
    assert "webhook_url" in ledger.get_delivery("a-1", 1, "ops-slack").error
    assert len(parked.messages) == 2


@pytest.mark.parametrize("where", ["sender_for", "send"])
def test_an_unexpected_error_releases_the_claim_and_is_retried(world, where):
    # Given a channel whose preparation (SSM) or send raises something unclassified
    deliverer, senders, _, _, _, ledger, _ = world

    def boom(*_args):
        raise RuntimeError("throttled")

    if where == "sender_for":
        deliverer.sender_for = boom
    else:
        senders["ops-slack"].send = boom
        senders[TOPIC_CHANNEL_ID].send = boom

    # When the record is processed, Then it is retried later, and the claim does not block that
    with pytest.raises(DeliveryPending):
        deliverer.deliver_all(notice())
    record = ledger.get_delivery("a-1", 1, "ops-slack")
    assert (record.status, record.lease_until) == (DeliveryStatus.retrying, None)
    assert "RuntimeError" in record.error and "throttled" not in record.error


def test_a_deleted_channel_is_parked_once(world):
    deliverer, _, _, _, parked, _, _ = world
    deliverer.deliver_all(notice(channels=["gone"]))
    deliverer.deliver_all(notice(channels=["gone"]))
    assert len(parked.messages) == 1
