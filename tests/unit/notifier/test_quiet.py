"""Quiet: one verdict per transition, for every target alike; the open alerts are read only when
an inhibition may hold the transition back."""

from __future__ import annotations

from datetime import timedelta

from alerting.models.inhibitions import Inhibition
from notifier.pipeline import Quieting
from notifier.stages.base import Delivery
from notifier.stages.quiet import Quiet
from tests.factories import T0, make_silence
from tests.unit.notifier.builders import SLACK, TOPIC, notice

NEVER = Inhibition.model_validate(
    {
        "inhibition_id": "never",
        "source": [{"label": "severity", "value": "critical"}],
        "target": [{"label": "rule_id", "value": "another-rule"}],
    }
)


def targets() -> list[Delivery]:
    fired = notice()
    return [Delivery(fired, TOPIC.channel_id, TOPIC), Delivery(fired, SLACK.channel_id, SLACK)]


def test_a_silence_quiets_every_target_alike():
    silenced = Quieting(silences=[make_silence(starts_at=T0 - timedelta(minutes=5))])
    deliveries = Quiet(lambda: silenced)(targets())
    assert [d.quiet.silence_id if d.quiet else None for d in deliveries] == ["drill", "drill"]


def test_nothing_quiets_a_plain_transition_and_the_open_alerts_are_not_read():
    reads: list[int] = []
    deliveries = Quiet(lambda: Quieting(inhibitions=[NEVER]), lambda: reads.append(1) or [])(targets())
    assert [d.quiet for d in deliveries] == [None, None]
    assert reads == []  # no inhibition aims at this alert


def test_a_transition_without_targets_reads_nothing():
    def unread() -> Quieting:
        raise AssertionError("read")

    assert Quiet(unread)([]) == []
