"""Send hands e-mail and SMS their acknowledge link (issued for the transition and the channel);
a link that cannot be issued is left out and the message goes all the same."""

from __future__ import annotations

from alerting.ack_links import AckLinks, Claims, token_hash
from alerting.models.channels import Channel, ChannelType, DeliveryStatus
from alerting.models.common import epoch
from alerting.repositories.breakers import Breaker
from notifier.pipeline import Act, RetryPolicy, Step
from notifier.records import round_record
from notifier.stages.base import Delivery
from notifier.stages.send import Send
from tests.factories import T0
from tests.fakes import FakeBreakers, ScriptedSender
from tests.unit.notifier.builders import notice

EMAIL = Channel(channel_id="ops-email", name="Ops e-mail", type=ChannelType.email, target={"to": ["o@example.com"]})


def claimed(channel: Channel) -> Delivery:
    fired = notice(seq=2)
    claim = round_record(fired, channel.channel_id, channel.type, None, T0).model_copy(
        update={"lease_until": epoch(T0) + 120}
    )
    return Delivery(
        fired, channel.channel_id, channel, step=Step(Act.send), claim=claim, breaker=Breaker(channel.channel_id)
    )


def sending(sender: ScriptedSender, links: AckLinks) -> Send:
    return Send(lambda channel: sender, FakeBreakers(), "", RetryPolicy(), clock=lambda: T0, ack_links=links)


def test_an_email_carries_the_link_issued_for_its_transition_and_channel() -> None:
    kept: dict[str, Claims] = {}
    sender = ScriptedSender()

    sending(sender, AckLinks("https://ingest.example.com", lambda: b"k" * 32, kept.__setitem__))(claimed(EMAIL))

    (message,) = sender.sent
    assert message.ack_url is not None and message.ack_url.startswith("https://ingest.example.com/ack?t=")
    (claims,) = kept.values()
    assert token_hash(message.ack_url.split("=", 1)[1]) in kept
    assert (claims.alert_id, claims.seq, claims.channel_id) == ("a-1", 2, "ops-email")


def test_a_link_that_cannot_be_issued_is_left_out_and_the_message_sent() -> None:
    def unreachable() -> bytes:
        raise RuntimeError("Secrets Manager throttled")

    sender = ScriptedSender()
    delivery = sending(sender, AckLinks("https://ingest.example.com", unreachable, lambda *_: None))(claimed(EMAIL))

    (message,) = sender.sent
    assert message.ack_url is None
    assert delivery.outcome is not None and delivery.outcome.status is DeliveryStatus.delivered
