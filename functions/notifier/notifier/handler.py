"""Notifier Lambda: the alerts table's stream → every transition delivered to its channels.

Each stream record is processed on its own (Powertools BatchProcessor): a malformed record or
a delivery that must be retried is reported in ``batchItemFailures`` without blocking the rest;
the stream redelivers it and the delivery ledger makes the redelivery send nothing twice. The
retry queue brings a delivery's next round, or a group's message, the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from alerting import wiring
from alerting.caching import Generations, VersionedCache, VersionedManyCache
from alerting.channels import Sender
from alerting.kinds import CHANNEL, INHIBITION, MUTE_WINDOW, POLICY, SCHEDULE, SILENCE
from alerting.models.channels import Channel, ChannelType, DeliveryRecord
from alerting.models.common import utcnow
from alerting.repositories.stream_records import parse_record
from alerting.settings import NotifierSettings, quiet_wire_logs
from alerting.templating import invocation_budget
from notifier.chain import Notifier
from notifier.pipeline import Quieting, RetryPolicy
from notifier.stages.claim import Claim
from notifier.stages.group import Group
from notifier.stages.quiet import Quiet
from notifier.stages.record import Record
from notifier.stages.route import TOPIC_CHANNEL_ID, Route
from notifier.stages.send import Send
from notifier.transitions import DeadLetters, Flush, RetryQueue, parse_queue_message

logger = Logger()
tracer = Tracer(patch_modules=["boto3", "botocore"])
quiet_wire_logs()  # before the first request: no secret in DEBUG logs
metrics = Metrics()
# Always answer with batchItemFailures (never raise), so one bad record never fails the rest.
stream = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
queue = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
Version = Callable[[str], Callable[[], int]]  # a config kind → its write counter


@cache
def generations(settings: NotifierSettings) -> Generations:
    """The config table's write counters, read once per batch: what the caches below compare
    against, so a change made through the API applies to every transition recorded after it."""
    return Generations(wiring.generations(settings).read)


@cache
def build(settings: NotifierSettings) -> Notifier:
    """The stages over the stack's tables, queues and channels, once per container."""
    version = generations(settings).watch
    channels = wiring.config(settings, CHANNEL)
    ledger = wiring.alerts(settings)
    breakers = wiring.breakers(settings)
    retries = RetryQueue(wiring.queue(settings, settings.retry_queue_url))
    retry = RetryPolicy(first_backoff=settings.retry_first_backoff_seconds)
    topic = Channel(
        channel_id=TOPIC_CHANNEL_ID, name="Alerts topic", type=ChannelType.sns, target={"topic_arn": settings.topic_arn}
    )
    return Notifier(
        route=Route(
            topic=topic,
            channel=channels.get,
            ledger=ledger.deliveries,
            channels=VersionedManyCache(channels.get_many, version(CHANNEL.name)),
            policy=wiring.config(settings, POLICY).find,  # None once deleted: the rule's channels still hear it
            schedule=wiring.config(settings, SCHEDULE).find,
        ),
        quiet=Quiet(quieting(settings, version), ledger.open_alerts),
        claim=Claim(ledger, breakers, retry),
        group=Group(wiring.groups(settings), ledger, channels.get, retries.flush),
        send=Send(
            senders(settings, version), breakers, settings.console_url, retry, ack_links=wiring.ack_links(settings)
        ),
        record=Record(
            ledger, DeadLetters(wiring.queue(settings, settings.notifier_dlq_url)), retries.round, retries.flush, retry
        ),
    )


def quieting(settings: NotifierSettings, version: Version) -> Callable[[], Quieting]:
    """Silences, mute windows and inhibitions, each cached until its own kind changes (a new
    silence must not throw away what the inhibitions remember)."""
    silences, windows = wiring.config(settings, SILENCE), wiring.config(settings, MUTE_WINDOW)
    inhibitions = wiring.config(settings, INHIBITION)
    current_silences = VersionedCache(
        lambda: [s for s in silences.all() if s.ends_at > utcnow()], version(SILENCE.name)
    )
    current_windows = VersionedCache(lambda: [w for w in windows.all() if w.enabled], version(MUTE_WINDOW.name))
    current_inhibitions = VersionedCache(lambda: list(inhibitions.all()), version(INHIBITION.name))
    return lambda: Quieting(current_silences(), current_windows(), current_inhibitions())


def senders(settings: NotifierSettings, version: Version) -> Callable[[Channel], Sender]:
    """A channel's sender, with its secrets from SSM (read again once channels change)."""
    secrets = wiring.secrets(settings, version=version(CHANNEL.name))
    sender_for = wiring.senders(settings)
    return lambda channel: sender_for(channel, secrets.resolve(channel.secret_refs))


def handle_transition(notifier: Notifier, record: DynamoDBRecord) -> None:
    """A stream record: its transition to every target (pending ones go to the retry queue)."""
    notice = parse_record(record.raw_event)
    if notice is not None:
        report(notifier.transition(notice))


def handle_retry(notifier: Notifier, record: SQSRecord) -> None:
    """A retry-queue message: the next round of one delivery, or a group's message."""
    message = parse_queue_message(record.body)
    if isinstance(message, Flush):
        report(notifier.flush(message))
        return
    notice, channel_id = message
    report([notifier.retry(notice, channel_id)])


def report(deliveries: list[DeliveryRecord]) -> None:
    for delivery in deliveries:
        metrics.add_metric(name=f"Deliveries_{delivery.status.value}", unit=MetricUnit.Count, value=1)
        logger.info(
            "delivery",
            extra={
                "alert_id": delivery.alert_id,
                "seq": delivery.seq,
                "channel_id": delivery.channel_id,
                "status": delivery.status.value,
                "attempts": delivery.attempts,
                "rounds": delivery.rounds,
                "latency_ms": delivery.latency_ms,
            },
        )


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(
    event: dict[str, Any], context: LambdaContext, notifier: Notifier | None = None
) -> PartialItemFailureResponse:
    """``notifier``: the stages to run (a test's own); None builds them from the environment."""
    if notifier is None:
        settings = NotifierSettings.from_env()
        generations(settings).refresh()
        notifier = build(settings)
    records = event.get("Records") or [{}]
    from_queue = records[0].get("eventSource") == "aws:sqs"
    with invocation_budget():
        return process_partial_response(
            event=event,
            record_handler=partial(handle_retry if from_queue else handle_transition, notifier),
            processor=queue if from_queue else stream,
            context=context,
        )
