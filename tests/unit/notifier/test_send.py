"""Send: one round of tries (shared by a transition's message and a group's), the breaker of a
single send, and each outcome."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerting.channels.base import Message, Receipt
from alerting.errors import DeliveryError, NotFound
from alerting.models.channels import Channel, DeliveryStatus
from alerting.models.common import epoch
from alerting.repositories.breakers import Breaker
from notifier.pipeline import GROUP_GRACE, Act, RetryPolicy, Step
from notifier.records import round_record
from notifier.stages.base import Delivery, GroupBatch
from notifier.stages.send import Send
from notifier.transitions import Flush
from tests.factories import T0
from tests.fakes import FakeBreakers, ScriptedSender, permanent, retryable
from tests.unit.notifier.builders import SLACK, notice

RETRY = RetryPolicy(attempts_per_round=3, max_rounds=3, base_delay=0.1, max_delay=5, first_backoff=30)


def send(sender=None, breakers=None, sleeps=None, sender_for=None) -> Send:
    return Send(
        sender_for or (lambda channel: sender),
        breakers if breakers is not None else FakeBreakers(),
        "https://console",
        RETRY,
        sleep=(sleeps if sleeps is not None else []).append,
        clock=lambda: T0,
    )


def claimed(breaker: Breaker | None = None) -> Delivery:
    fired = notice()
    claim = round_record(fired, "ops-slack", SLACK.type, None, T0).model_copy(update={"lease_until": epoch(T0) + 120})
    return Delivery(
        fired, "ops-slack", SLACK, step=Step(Act.send), claim=claim, breaker=breaker or Breaker("ops-slack")
    )


def message() -> Message:
    fired = notice()
    return Message(fired.alert, fired.event, fired.seq, "a-1:1:ops-slack")


@pytest.mark.parametrize(
    ("script", "tries", "sleeps", "error"),
    [
        ([Receipt()], 1, 0, None),
        ([retryable(500), retryable(503), Receipt()], 3, 2, None),
        ([retryable(500)] * 3, 3, 2, "answered 500"),  # the round ends; a later one tries again
        ([retryable(429, retry_after=60)], 1, 0, "answered 429"),  # too long to wait within the round
        ([permanent(400)], 1, 0, "answered 400"),  # no retry can help
    ],
)
def test_a_round_tries_again_only_what_is_worth_it(script, tries, sleeps, error):
    waits: list[float] = []
    tried = send(ScriptedSender(script=list(script)), sleeps=waits).round(SLACK, message())
    assert (tried.tries, len(waits), str(tried.error) if tried.error else None) == (tries, sleeps, error)


def test_a_round_honours_a_short_retry_after():
    waits: list[float] = []
    send(ScriptedSender(script=[retryable(429, retry_after=2.0)]), sleeps=waits).round(SLACK, message())
    assert waits == [2.0]


@pytest.mark.parametrize(
    ("raised", "error", "retryable_"),
    [
        (DeliveryError("webhook_url: Field required", retryable=False), "channel is misconfigured", False),
        (NotFound("parameter", "/x"), "channel is misconfigured", False),
        (RuntimeError("throttled"), "channel could not be prepared: RuntimeError", True),
    ],
)
def test_a_channel_that_cannot_be_prepared_is_not_tried(raised, error, retryable_):
    def prepare(channel):
        raise raised

    tried = send(sender_for=prepare).round(SLACK, message())
    assert tried.tries == 0 and str(tried.error).startswith(error) and tried.error.retryable is retryable_
    assert "throttled" not in str(tried.error)


def test_an_unclassified_error_ends_the_round_as_retryable_without_its_text():
    sender = ScriptedSender()
    sender.send = lambda message: (_ for _ in ()).throw(RuntimeError("secret"))
    tried = send(sender).round(SLACK, message())
    assert (tried.tries, str(tried.error), tried.error.retryable) == (1, "unexpected RuntimeError", True)


def test_a_sent_message_is_delivered_and_closes_the_breaker():
    breakers = FakeBreakers()
    breakers.save(Breaker("ops-slack", failures=2))
    sender = ScriptedSender(script=[Receipt(provider_message_id="m-1", http_status=200)])
    delivery = send(sender, breakers)(claimed(Breaker("ops-slack", failures=2)))
    outcome = delivery.outcome
    assert (outcome.status, outcome.attempts, outcome.provider_message_id, outcome.lease_until) == (
        DeliveryStatus.delivered,
        1,
        "m-1",
        None,
    )
    assert breakers.get("ops-slack").failures == 0
    assert sender.sent[0].console_url == "https://console"


def test_a_failed_round_is_retried_later_and_counts_against_the_breaker():
    breakers = FakeBreakers()
    delivery = send(ScriptedSender(script=[retryable(500)] * 3), breakers)(claimed())
    outcome = delivery.outcome
    assert (outcome.status, outcome.attempts, outcome.next_attempt_at, outcome.http_status) == (
        DeliveryStatus.retrying,
        3,
        epoch(T0) + 30,
        500,
    )
    assert breakers.get("ops-slack").failures == 1


def test_a_permanent_failure_is_given_up_and_leaves_the_breaker_alone():
    breakers = FakeBreakers()
    outcome = send(ScriptedSender(script=[permanent(400)]), breakers)(claimed()).outcome
    assert (outcome.status, outcome.attempts) == (DeliveryStatus.failed, 1)
    assert breakers.breakers == {}


@pytest.mark.parametrize(("rounds_before", "status"), [(0, DeliveryStatus.retrying), (2, DeliveryStatus.failed)])
def test_an_open_breaker_defers_the_round_until_it_closes(rounds_before, status):
    fired = notice()
    previous = round_record(fired, "ops-slack", SLACK.type, None, T0).model_copy(
        update={"status": DeliveryStatus.retrying, "rounds": rounds_before}
    )
    open_until = epoch(T0 + timedelta(minutes=2))
    deferred = Delivery(
        fired,
        "ops-slack",
        SLACK,
        previous=previous,
        step=Step(Act.defer, reason="circuit open"),
        breaker=Breaker("ops-slack", 5, open_until),
    )
    sender = ScriptedSender()
    outcome = send(sender)(deferred).outcome
    assert (outcome.status, outcome.next_attempt_at, outcome.rounds, outcome.error) == (
        status,
        open_until,
        rounds_before + 1,
        "circuit open",
    )
    assert sender.sent == []


def batch(channel: Channel | None = SLACK, rounds: int = 0) -> GroupBatch:
    fired = notice()
    waiting = round_record(fired, "ops-slack", SLACK.type, None, T0).model_copy(
        update={"status": DeliveryStatus.grouped, "rounds": 0, "attempts": 1, "group_id": "ops-slack:k"}
    )
    member = Delivery(fired, "ops-slack", channel, known=True, previous=waiting)
    flush = Flush("ops-slack", "k", ("a-1|1",), rounds)
    return GroupBatch(flush, ("a-1|1",), channel, [fired.alert], [member], epoch(T0))


def test_a_sent_group_message_delivers_every_member_and_leaves_the_breaker_alone():
    breakers, sender = FakeBreakers(), ScriptedSender(script=[retryable(500), Receipt(http_status=200)])
    sent = batch()
    send(sender, breakers).group(sent)
    outcome = sent.deliveries[0].outcome
    assert (outcome.status, outcome.attempts, outcome.group_id, outcome.http_status) == (
        DeliveryStatus.delivered,
        3,
        f"ops-slack:k:{epoch(T0)}",
        200,
    )
    assert sent.again is None and breakers.breakers == {} and len(sender.groups) == 2


def test_a_failed_group_message_goes_again_with_its_members():
    failed = batch()
    send(ScriptedSender(script=[retryable(500)] * 3)).group(failed)
    assert failed.again == (Flush("ops-slack", "k", ("a-1|1",), 1), 30)
    outcome = failed.deliveries[0].outcome
    assert (outcome.status, outcome.rounds, outcome.attempts, outcome.next_attempt_at, outcome.group_id) == (
        DeliveryStatus.grouped,
        1,
        4,
        epoch(T0) + 30 + GROUP_GRACE,
        "ops-slack:k",
    )


def test_a_group_message_out_of_rounds_gives_every_member_up():
    given_up = batch(rounds=2)
    send(ScriptedSender(script=[retryable(500)] * 3)).group(given_up)
    outcome = given_up.deliveries[0].outcome
    assert given_up.again is None and (outcome.status, outcome.error) == (DeliveryStatus.failed, "answered 500")


def test_a_group_whose_channel_is_gone_is_given_up_untried():
    gone = batch(channel=None)
    send(ScriptedSender()).group(gone)
    outcome = gone.deliveries[0].outcome
    assert (outcome.status, outcome.error, outcome.attempts, outcome.group_id) == (
        DeliveryStatus.failed,
        "channel not found",
        1,
        "ops-slack:k",
    )
