"""Send hands e-mail and SMS their acknowledge link (issued for the transition and the channel);
a link that cannot be issued is left out and the message goes all the same."""

from __future__ import annotations

from alerting.ack_links import AckLinks, Claims, token_hash
from alerting.models.channels import Channel, ChannelType, DeliveryStatus
from alerting.models.common import epoch
from alerting.repositories.breakers import Breaker
from notifier.pipeline import Act, RetryPolicy, Step
from notifier.records import round_record
from notifier.stages.base import Delivery, GroupBatch
from notifier.stages.send import Send
from notifier.transitions import Flush
from tests.factories import T0
from tests.fakes import FakeBreakers, ScriptedSender
from tests.unit.channels.builders import acknowledged
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


def test_a_grouped_email_gets_a_link_for_each_listed_alert_that_fires_and_a_grouped_sms_none() -> None:
    fired, acked = notice().alert, acknowledged(notice().alert.model_copy(update={"alert_id": "a-2"}))
    links = AckLinks("https://ingest.example.com", lambda: b"k" * 32, lambda *_: None)
    sms = Channel(channel_id="ops-sms", name="Ops SMS", type=ChannelType.sms, target={"phone_number": "+4915100000000"})

    for_email = sending(ScriptedSender(), links).group_links([fired, acked], EMAIL)
    for_sms = sending(ScriptedSender(), links).group_links([fired], sms)

    assert list(for_email) == ["a-1"] and for_email["a-1"].startswith("https://ingest.example.com/ack?t=")
    assert for_sms == {}


def test_a_grouped_message_is_sent_with_its_links() -> None:
    sender = ScriptedSender()
    fired = notice()
    flush = Flush("ops-email", "k", ("a-1|1",), 0)
    waiting = round_record(fired, "ops-email", EMAIL.type, None, T0).model_copy(
        update={"status": DeliveryStatus.grouped, "rounds": 0, "attempts": 1, "group_id": "ops-email:k"}
    )
    member = Delivery(fired, "ops-email", EMAIL, known=True, previous=waiting)
    links = AckLinks("https://ingest.example.com", lambda: b"k" * 32, lambda *_: None)

    sending(sender, links).group(GroupBatch(flush, ("a-1|1",), EMAIL, [fired.alert], [member], epoch(T0)))

    (group,) = sender.groups
    assert list(group.ack_urls) == ["a-1"]
