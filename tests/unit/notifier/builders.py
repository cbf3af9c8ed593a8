"""The notifier's stages over fakes, and the fakes only the notifier needs."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from alerting.channels.base import Sender
from alerting.errors import NotFound
from alerting.evaluation import AlertChange, initial_state
from alerting.lifecycle import start_alert
from alerting.models.alerts import AlertKind
from alerting.models.channels import Channel
from alerting.models.common import AlertEvent, utcnow
from alerting.repositories.groups import Joined
from alerting.stream import Notice
from notifier.chain import Notifier
from notifier.pipeline import Quieting, RetryPolicy
from notifier.stages.claim import Claim
from notifier.stages.group import Group
from notifier.stages.quiet import Quiet
from notifier.stages.record import Record
from notifier.stages.route import TOPIC_CHANNEL_ID, Route
from notifier.stages.send import Send
from tests.factories import T0, make_rule

TOPIC = Channel(
    channel_id=TOPIC_CHANNEL_ID, name="topic", type="sns", target={"topic_arn": "arn:aws:sns:us-east-1:123456789012:t"}
)
SLACK = Channel(channel_id="ops-slack", name="Ops", type="slack", target={})


def notice(channels: list[str] | None = None, severity: str = "high", seq: int = 1) -> Notice:
    """Alert a-1 of a rule routed to ops-slack, firing at T0."""
    rule = make_rule(channels=["ops-slack"] if channels is None else channels, severity=severity)
    alert = start_alert(rule, initial_state(rule), AlertChange(AlertKind.threshold, "a-1", "2 of 2"), [], T0)
    return Notice(alert, AlertEvent.firing, seq)


def directory(channels: dict[str, Channel]) -> Callable[[str], Channel]:
    """A channel lookup over ``channels``, raising NotFound as the config repository does."""

    def lookup(channel_id: str) -> Channel:
        if channel_id not in channels:
            raise NotFound("channel", channel_id)
        return channels[channel_id]

    return lookup


@dataclass
class FakeGroups:
    """The group store in memory: members wait until the group is due, one take empties it."""

    waiting: dict[tuple[str, str], tuple[list[str], int]] = field(default_factory=dict)

    def join(self, channel_id: str, group_key: str, member: str, *, wait: int, interval: int, now: int) -> Joined:
        members, due = self.waiting.get((channel_id, group_key), ([], now + wait))
        self.waiting[(channel_id, group_key)] = ([*members, member], due)
        return Joined(due, opened=not members)

    def take(self, channel_id: str, group_key: str, now: int) -> tuple[list[str], int | None]:
        members, due = self.waiting.get((channel_id, group_key), ([], None))
        if due is not None and due > now:
            return [], due
        self.waiting.pop((channel_id, group_key), None)
        return sorted(members), None


def make_notifier(
    *,
    ledger: Any,
    channel: Callable[[str], Channel],
    sender_for: Callable[[Channel], Sender],
    breakers: Any,
    park: Callable[[dict[str, Any]], None],
    schedule: Callable[[Notice, str, int], None],
    topic: Channel = TOPIC,
    groups: Any = None,
    schedule_flush: Callable[[Any, int], None] = lambda flush, delay: None,
    quieting: Callable[[], Quieting] = Quieting,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], datetime] = utcnow,
) -> Notifier:
    """Every stage over the given fakes (or moto-backed repositories), as the handler wires them."""
    retry = retry or RetryPolicy()
    return Notifier(
        route=Route(topic=topic, channel=channel, ledger=ledger.deliveries),
        quiet=Quiet(quieting),
        claim=Claim(ledger, breakers, retry, clock),
        group=Group(groups if groups is not None else FakeGroups(), ledger, channel, schedule_flush, clock),
        send=Send(sender_for, breakers, retry=retry, sleep=sleep, clock=clock),
        record=Record(ledger, park, schedule, schedule_flush, retry, sleep, clock),
    )
