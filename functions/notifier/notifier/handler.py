"""Notifier Lambda: the alerts table's stream → every transition delivered to its channels.

Each stream record is processed on its own (Powertools BatchProcessor): a malformed record or
a delivery that must be retried is reported in ``batchItemFailures`` without blocking the rest;
the stream redelivers it and the delivery ledger makes the redelivery send nothing twice.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import requests
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from alerting.channels import sender_for
from alerting.models.channels import Channel, ChannelType
from alerting.repositories.alerts import AlertRepository
from alerting.repositories.breakers import BreakerStore
from alerting.repositories.config import KIND_CHANNEL, ConfigRepository
from alerting.secrets import SecretStore
from alerting.settings import NotifierSettings, client
from notifier.delivery import TOPIC_CHANNEL_ID, Deliverer, sqs_parker
from notifier.transitions import parse_record

logger = Logger()
tracer = Tracer(patch_modules=["boto3", "botocore"])  # not requests: Slack webhook URLs are secrets
metrics = Metrics()
# Always answer with batchItemFailures (never raise), so one bad record never fails the rest.
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


@cache
def build(settings: NotifierSettings) -> Deliverer:
    dynamodb = client("dynamodb", settings.region, settings.endpoint_url)
    channels = ConfigRepository(dynamodb, settings.config_table, KIND_CHANNEL, Channel, "channel_id")
    secrets = SecretStore(client("ssm", settings.region, settings.endpoint_url), settings.secrets_prefix)
    session = requests.Session()
    ses = client("ses", settings.region, settings.endpoint_url)
    sns = client("sns", settings.region, settings.endpoint_url)

    def sender(channel: Channel) -> Any:
        return sender_for(
            channel,
            secrets.resolve(channel.secret_refs),
            session=session,
            ses_client=ses,
            sns_client=sns,
            email_sender=settings.email_sender,
            timeout=settings.http_timeout_seconds,
            allow_private=settings.allow_private_targets,
        )

    return Deliverer(
        ledger=AlertRepository(dynamodb, settings.alerts_table, settings.alert_log_table),
        channel_lookup=channels.get,
        sender_for=sender,
        breakers=BreakerStore(dynamodb, settings.config_table),
        park=sqs_parker(client("sqs", settings.region, settings.endpoint_url), settings.dead_letter_queue_url),
        topic_channel=Channel(
            channel_id=TOPIC_CHANNEL_ID,
            name="Alerts topic",
            type=ChannelType.sns,
            target={"topic_arn": settings.topic_arn},
        ),
        console_url=settings.console_url,
    )


def handle(record: DynamoDBRecord) -> None:
    notice = parse_record(record.raw_event)
    if notice is None:
        return
    deliverer = build(NotifierSettings.from_env())
    for delivery in deliverer.deliver_all(notice):
        metrics.add_metric(name=f"Deliveries_{delivery.status.value}", unit=MetricUnit.Count, value=1)
        logger.info(
            "delivery",
            extra={
                "alert_id": delivery.alert_id,
                "seq": delivery.seq,
                "channel_id": delivery.channel_id,
                "status": delivery.status.value,
                "attempts": delivery.attempts,
                "latency_ms": delivery.latency_ms,
            },
        )


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
