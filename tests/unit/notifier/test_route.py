"""Route: a transition's targets (the topic when it hears it, then the audience), and a retry
round's one target."""

from __future__ import annotations

from datetime import timedelta

from alerting.lifecycle import acknowledge
from alerting.models.channels import DeliveryStatus
from alerting.models.common import AlertEvent
from alerting.stream import Notice
from notifier.records import round_record
from notifier.stages.route import TOPIC_CHANNEL_ID, Route
from tests.factories import T0
from tests.fakes import FakeLedger
from tests.unit.notifier.builders import SLACK, TOPIC, directory, notice


def route(ledger: FakeLedger | None = None, **overrides) -> Route:
    ledger = ledger or FakeLedger()
    return Route(topic=TOPIC, channel=directory({"ops-slack": SLACK}), ledger=ledger.deliveries, **overrides)


def acked(fired: Notice) -> Notice:
    alert, _ = acknowledge(fired.alert, "alice", T0 + timedelta(minutes=1))
    return Notice(alert, AlertEvent.acknowledged, alert.version)


def test_a_firing_goes_to_the_topic_then_the_rules_channels_unknown_ids_kept_to_record():
    deliveries = route()(notice(channels=["ops-slack", "gone"]))
    assert [(d.channel_id, d.channel) for d in deliveries] == [
        (TOPIC_CHANNEL_ID, TOPIC),
        ("ops-slack", SLACK),
        ("gone", None),
    ]
    assert not any(d.known or d.sent_before for d in deliveries)  # an announcement reads no ledger


def test_channels_are_looked_up_in_one_read_when_the_route_has_a_batch_lookup():
    asked: list[list[str]] = []
    deliveries = route(channels=lambda ids: asked.append(ids) or {"ops-slack": SLACK})(notice())
    assert asked == [["ops-slack"]] and deliveries[1].channel == SLACK


def test_a_follow_up_goes_to_who_heard_the_alert_and_carries_its_own_records_from_the_ledger():
    # Given a firing sent to the topic and Slack, and the ack's topic record already written
    ledger = FakeLedger()
    fired = notice()
    for target in (TOPIC, SLACK):
        ledger.save_delivery(
            round_record(fired, target.channel_id, target.type, None, T0).model_copy(
                update={"status": DeliveryStatus.delivered}
            )
        )
    ack = acked(fired)
    own = round_record(ack, TOPIC_CHANNEL_ID, TOPIC.type, None, T0)
    ledger.save_delivery(own)

    deliveries = route(ledger)(ack)

    assert [(d.channel_id, d.sent_before, d.known) for d in deliveries] == [
        (TOPIC_CHANNEL_ID, True, True),
        ("ops-slack", True, True),
    ]
    assert [d.previous for d in deliveries] == [own, None]


def test_a_follow_up_of_an_alert_nobody_heard_goes_nowhere():
    assert route()(acked(notice())) == []


def test_a_retry_round_has_its_one_target_the_topic_a_channel_or_a_gone_id():
    one = route().one
    assert one(notice(), TOPIC_CHANNEL_ID).channel == TOPIC
    assert one(notice(), "ops-slack").channel == SLACK
    gone = one(notice(), "gone")
    assert (gone.channel_id, gone.channel, gone.known) == ("gone", None, False)
