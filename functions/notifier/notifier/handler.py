"""Notifier Lambda: the alerts table's stream → every transition delivered to its channels.

Each stream record is processed on its own (Powertools BatchProcessor): a malformed record or
a delivery that must be retried is reported in ``batchItemFailures`` without blocking the rest;
the stream redelivers it and the delivery ledger makes the redelivery send nothing twice.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from alerting.caching import Generations, VersionedCache, VersionedManyCache
from alerting.channels import HttpClient, sender_for
from alerting.models.channels import Channel, ChannelType, DeliveryRecord
from alerting.models.common import utcnow
from alerting.models.inhibitions import Inhibition
from alerting.models.mute_windows import MuteWindow
from alerting.models.policies import EscalationPolicy
from alerting.models.schedules import Schedule
from alerting.models.silences import Silence
from alerting.repositories.alerts import AlertRepository
from alerting.repositories.breakers import BreakerStore
from alerting.repositories.config import (
    KIND_CHANNEL,
    KIND_INHIBITION,
    KIND_MUTE_WINDOW,
    KIND_POLICY,
    KIND_SCHEDULE,
    KIND_SILENCE,
    ConfigGenerations,
    ConfigRepository,
)
from alerting.repositories.groups import GroupStore
from alerting.repositories.secrets import SecretStore
from alerting.repositories.stream_records import parse_record
from alerting.settings import NotifierSettings, client, quiet_wire_logs
from alerting.templating import invocation_budget
from notifier.delivery import TOPIC_CHANNEL_ID, Deliverer, RetryPolicy, sqs_flusher, sqs_parker, sqs_scheduler
from notifier.pipeline import Quieting
from notifier.transitions import Flush, parse_queue_message

logger = Logger()
tracer = Tracer(patch_modules=["boto3", "botocore"])
quiet_wire_logs()  # before the first request: no secret in DEBUG logs
metrics = Metrics()
# Always answer with batchItemFailures (never raise), so one bad record never fails the rest.
stream = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
queue = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@cache
def generations(settings: NotifierSettings) -> Generations:
    """The config table's write counters, read once per batch: what the caches below compare
    against, so a change made through the API applies to every transition recorded after it."""
    dynamodb = client("dynamodb", settings.region, settings.endpoint_url)
    return Generations(ConfigGenerations(dynamodb, settings.config_table).read)


@cache
def build(settings: NotifierSettings) -> Deliverer:
    dynamodb = client("dynamodb", settings.region, settings.endpoint_url)
    kind = generations(settings).watch
    channels = ConfigRepository(dynamodb, settings.config_table, KIND_CHANNEL, Channel, "channel_id")
    secrets = SecretStore(
        client("ssm", settings.region, settings.endpoint_url),
        settings.secrets_prefix,
        version=kind(KIND_CHANNEL),
    )
    http = HttpClient(allow_private=settings.allow_private_targets)
    ses = client("ses", settings.region, settings.endpoint_url)
    sns = client("sns", settings.region, settings.endpoint_url)

    def sender(channel: Channel) -> Any:
        return sender_for(
            channel,
            secrets.resolve(channel.secret_refs),
            http=http,
            ses_client=ses,
            sns_client=sns,
            email_sender=settings.email_sender,
            email_senders=settings.email_senders,
            sms_country_codes=settings.sms_destinations,
            timeout=settings.http_timeout_seconds,
        )

    sqs = client("sqs", settings.region, settings.endpoint_url)

    def config(kind: str, model: type[Any], id_field: str) -> ConfigRepository[Any]:
        return ConfigRepository(dynamodb, settings.config_table, kind, model, id_field)

    policies = config(KIND_POLICY, EscalationPolicy, "policy_id")
    schedules = config(KIND_SCHEDULE, Schedule, "schedule_id")
    silences = config(KIND_SILENCE, Silence, "silence_id")
    mute_windows = config(KIND_MUTE_WINDOW, MuteWindow, "mute_window_id")
    inhibitions = config(KIND_INHIBITION, Inhibition, "inhibition_id")

    # One cache per kind: a new silence must not throw away what the inhibitions remember.
    current_silences = VersionedCache(lambda: [s for s in silences.all() if s.ends_at > utcnow()], kind(KIND_SILENCE))
    current_windows = VersionedCache(lambda: [w for w in mute_windows.all() if w.enabled], kind(KIND_MUTE_WINDOW))
    current_inhibitions = VersionedCache(lambda: list(inhibitions.all()), kind(KIND_INHIBITION))

    def quieting() -> Quieting:
        return Quieting(current_silences(), current_windows(), current_inhibitions())

    ledger = AlertRepository(dynamodb, settings.alerts_table, settings.alert_log_table)
    return Deliverer(
        ledger=ledger,
        channel_lookup=channels.get,
        channels_lookup=VersionedManyCache(channels.get_many, kind(KIND_CHANNEL)),
        sender_for=sender,
        breakers=BreakerStore(dynamodb, settings.config_table),
        park=sqs_parker(sqs, settings.notifier_dlq_url),
        schedule=sqs_scheduler(sqs, settings.retry_queue_url),
        groups=GroupStore(dynamodb, settings.config_table),
        schedule_flush=sqs_flusher(sqs, settings.retry_queue_url),
        topic_channel=Channel(
            channel_id=TOPIC_CHANNEL_ID,
            name="Alerts topic",
            type=ChannelType.sns,
            target={"topic_arn": settings.topic_arn},
        ),
        policy_lookup=policies.find,  # None once deleted: the rule's channels still hear the alert
        schedule_lookup=schedules.find,
        quieting=quieting,
        open_alerts=ledger.open_alerts,
        console_url=settings.console_url,
        retry=RetryPolicy(first_backoff=settings.retry_first_backoff_seconds),
    )


def handle_transition(record: DynamoDBRecord) -> None:
    """A stream record: its transition to every target (pending ones go to the retry queue)."""
    notice = parse_record(record.raw_event)
    if notice is not None:
        report(build(NotifierSettings.from_env()).deliver_all(notice))


def handle_retry(record: SQSRecord) -> None:
    """A retry-queue message: the next round of one delivery, or a group's message."""
    message = parse_queue_message(record.body)
    deliverer = build(NotifierSettings.from_env())
    if isinstance(message, Flush):
        report(deliverer.deliver_group(message))
        return
    notice, channel_id = message
    report([deliverer.deliver_again(notice, channel_id)])


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
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    generations(NotifierSettings.from_env()).refresh()
    records = event.get("Records") or [{}]
    from_queue = records[0].get("eventSource") == "aws:sqs"
    with invocation_budget():
        return process_partial_response(
            event=event,
            record_handler=handle_retry if from_queue else handle_transition,
            processor=queue if from_queue else stream,
            context=context,
        )
