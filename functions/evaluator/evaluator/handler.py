"""Evaluator Lambdas: an EventBridge schedule every minute → one tick evaluated as of its `time`
(``handler``), or split into shards that the worker function evaluates (``shard``, from SQS)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from alerting.discovery import MetricDirectory
from alerting.errors import MalformedRecord
from alerting.models.common import parse_time, utcnow
from alerting.models.policies import EscalationPolicy
from alerting.models.reports import EvaluationSummary
from alerting.models.rules import Rule
from alerting.models.silences import Silence
from alerting.repositories.alerts import AlertRepository
from alerting.repositories.cloudwatch import CloudWatchListing, CloudWatchMetrics
from alerting.repositories.config import KIND_POLICY, KIND_RULE, KIND_SILENCE, ConfigRepository, RunLog
from alerting.repositories.queues import ShardQueue
from alerting.repositories.state import StateRepository
from alerting.settings import EvaluatorSettings, client, quiet_wire_logs
from alerting.sharding import parse_shard_message
from alerting.templating import invocation_budget
from evaluator.service import Evaluator

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch import BatchProcessor
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

logger = Logger()
tracer = Tracer(patch_modules=["boto3", "botocore"])
quiet_wire_logs()  # before the first request: no secret in DEBUG logs
metrics = Metrics()


@cache
def build(settings: EvaluatorSettings) -> Evaluator:
    dynamodb = client("dynamodb", settings.region, settings.endpoint_url)
    return Evaluator(
        rules=ConfigRepository(dynamodb, settings.config_table, KIND_RULE, Rule, "rule_id"),
        states=StateRepository(dynamodb, settings.state_table),
        alerts=AlertRepository(dynamodb, settings.alerts_table, settings.alert_log_table),
        # The adapter retries throttling itself (jittered, counted): no second layer in botocore.
        metrics=CloudWatchMetrics(client("cloudwatch", settings.region, settings.endpoint_url, max_attempts=1)),
        runs=RunLog(dynamodb, settings.config_table),
        policies=ConfigRepository(dynamodb, settings.config_table, KIND_POLICY, EscalationPolicy, "policy_id"),
        silences=ConfigRepository(dynamodb, settings.config_table, KIND_SILENCE, Silence, "silence_id"),
        directory=MetricDirectory(CloudWatchListing(client("cloudwatch", settings.region, settings.endpoint_url))),
        shards=ShardQueue(client("sqs", settings.region, settings.endpoint_url), settings.shard_queue_url)
        if settings.shard_queue_url
        else None,
        shard_budget=settings.shard_budget,
        io_threads=settings.io_threads,
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # The scheduled time, not the wall clock: a retried or duplicated tick evaluates the same minute.
    now = parse_time(event["time"]) if event.get("time") else utcnow()
    with invocation_budget():
        summary = build(EvaluatorSettings.from_env()).run(now)
    report(summary)
    return summary.model_dump(mode="json")


def evaluate_shard(record: SQSRecord) -> None:
    try:
        tick, part = parse_shard_message(record.body, utcnow())
    except MalformedRecord as exc:
        # Refused unevaluated each time it comes, until the queue's redrive moves it to the DLQ;
        # its body is not logged (whoever wrote it may have put anything there).
        logger.error("invalid shard message", extra={"message_id": record.message_id, "reason": str(exc)})
        raise
    report(build(EvaluatorSettings.from_env()).run_shard(tick, part))


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def shard(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """A shard that fails is reported and comes back after its visibility timeout (then the DLQ)."""
    from aws_lambda_powertools.utilities.batch import process_partial_response

    with invocation_budget():
        return process_partial_response(
            event=event, record_handler=evaluate_shard, processor=batches(), context=context
        )


@cache
def batches() -> BatchProcessor:
    """Built by the worker on its first shard: the scheduled evaluator never loads the batch utility."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

    return BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def report(summary: EvaluationSummary) -> None:
    for name, value in (
        ("RulesEvaluated", summary.rules_evaluated),
        ("AlertsFired", summary.alerts_fired),
        ("AlertsResolved", summary.alerts_resolved),
        ("AlertsSuppressed", summary.suppressed),
        ("EvaluationErrors", summary.errors),
        ("GetMetricDataCalls", summary.get_metric_data_calls),
        ("StateWrites", summary.state_writes),
    ):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    logger.info("tick evaluated", extra={"summary": summary.model_dump(mode="json")})
