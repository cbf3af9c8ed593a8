"""Notifier benchmark (`make bench`): records/s through the delivery pipeline and its cost.

Stream records (shaped as Lambda delivers them) go through the real parsing and the notifier's
stages (delivery ledger, breaker store, retry logic), over a counting in-memory DynamoDB client
and instant fake channels, so the figures are the notifier's own overhead per transition.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime
from typing import Any

from alerting.channels.base import GroupMessage, Message, Receipt
from alerting.evaluation import AlertChange, initial_state
from alerting.lifecycle import start_alert
from alerting.models.alerts import AlertKind
from alerting.models.channels import Channel, ChannelType
from alerting.models.rules import Rule
from alerting.repositories.alerts import AlertRepository
from alerting.repositories.breakers import BreakerStore
from alerting.repositories.dynamo import to_item
from alerting.repositories.groups import GroupStore
from alerting.repositories.stream_records import parse_record
from bench.fake_dynamodb import FakeDynamoDB
from notifier.chain import Notifier
from notifier.stages.claim import Claim
from notifier.stages.group import Group
from notifier.stages.quiet import Quiet
from notifier.stages.record import Record
from notifier.stages.route import TOPIC_CHANNEL_ID, Route
from notifier.stages.send import Send

T0 = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
CHANNELS = ["ops-slack", "oncall-email"]


class InstantSender:
    def send(self, message: Message) -> Receipt:
        return Receipt(provider_message_id=message.delivery_id, http_status=200)

    def send_group(self, group: GroupMessage) -> Receipt:
        return Receipt(provider_message_id=group.group_id, http_status=200)


def records(count: int) -> list[dict[str, Any]]:
    rule = Rule.model_validate(
        {
            "rule_id": "bench",
            "name": "Bench",
            "severity": "high",
            "category": "performance",
            "channels": CHANNELS,
            "conditions": [{"metric": {"namespace": "B", "name": "CPU"}, "operator": "gte", "threshold": 85}],
        }
    )
    out = []
    for i in range(count):
        alert = start_alert(rule, initial_state(rule), AlertChange(AlertKind.threshold, f"a-{i}", "bench"), [], T0)
        out.append(
            {
                "eventName": "INSERT",
                "dynamodb": {
                    "NewImage": to_item({**alert.model_dump(mode="json"), "feed": "alerts"}),
                    "SequenceNumber": str(i),
                },
            }
        )
    return out


def main() -> None:
    dynamodb = FakeDynamoDB.from_template()
    channels = {c: Channel(channel_id=c, name=c, type=ChannelType.slack, target={}) for c in CHANNELS}
    ledger = AlertRepository(dynamodb, "AlertsTable", "AlertLogTable")
    breakers = BreakerStore(dynamodb, "ConfigTable")
    topic = Channel(
        channel_id=TOPIC_CHANNEL_ID,
        name="topic",
        type=ChannelType.sns,
        target={"topic_arn": "arn:aws:sns:us-east-1:123456789012:t"},
    )
    notifier = Notifier(
        route=Route(topic=topic, channel=channels.__getitem__, ledger=ledger.deliveries),
        quiet=Quiet(),
        claim=Claim(ledger, breakers),
        group=Group(GroupStore(dynamodb, "ConfigTable"), ledger, channels.__getitem__, lambda flush, delay: None),
        send=Send(lambda channel: InstantSender(), breakers, sleep=lambda seconds: None),
        record=Record(ledger, lambda message: None, lambda notice, channel_id, delay: None, lambda flush, delay: None),
    )
    batch = records(5_000)
    latencies = []
    started = time.perf_counter()
    for record in batch:
        one = time.perf_counter()
        notice = parse_record(record)
        assert notice is not None
        notifier.transition(notice)
        latencies.append((time.perf_counter() - one) * 1000)
    elapsed = time.perf_counter() - started
    targets = 1 + len(CHANNELS)
    print(
        f"notifier pipeline, {len(batch)} firing transitions x {targets} targets (SNS topic + {len(CHANNELS)} channels)"
    )
    print(f"  records/s                       {len(batch) / elapsed:10,.0f}")
    print(
        f"  added latency per transition    median {statistics.median(latencies):.2f} ms, "
        f"p99 {statistics.quantiles(latencies, n=100)[98]:.2f} ms"
    )
    print(
        f"  DynamoDB requests per transition  reads {dynamodb.reads() / len(batch):.1f}, "
        f"writes {dynamodb.writes() / len(batch):.1f} ({targets} targets: a batch of ledger records, "
        "a batch of breakers; per target a claim and a result)"
    )
    print("  (channel lookups are not counted: the fake directory answers from memory)")


if __name__ == "__main__":
    main()
