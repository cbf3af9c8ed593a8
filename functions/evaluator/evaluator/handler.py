"""Evaluator Lambdas: an EventBridge schedule every minute → one tick evaluated as of its `time`
(``handler``), or split into shards that the worker function evaluates (``shard``, from SQS)."""

from __future__ import annotations

from functools import cache, partial
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from alerting import wiring
from alerting.errors import MalformedRecord
from alerting.kinds import POLICY, RULE, SILENCE
from alerting.lifecycle import AlertLifecycle
from alerting.models.common import parse_time, utcnow
from alerting.models.reports import EvaluationSummary
from alerting.routing import Router
from alerting.settings import EvaluatorSettings, quiet_wire_logs
from alerting.sharding import parse_shard_message
from alerting.templating import invocation_budget
from evaluator.service import Evaluator
from evaluator.sweep import HeartbeatSweep

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch import BatchProcessor
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

logger = Logger()
tracer = Tracer(patch_modules=["boto3", "botocore"])
quiet_wire_logs()  # before the first request: no secret in DEBUG logs
metrics = Metrics()


def build(settings: EvaluatorSettings) -> Evaluator:
    router = wiring.router(settings)
    return Evaluator(
        rules=wiring.config(settings, RULE),
        states=wiring.states(settings),
        alerts=wiring.alerts(settings),
        metrics=wiring.metrics(settings),
        runs=wiring.run_log(settings),
        policies=wiring.config(settings, POLICY),
        silences=wiring.config(settings, SILENCE),
        heartbeats=heartbeat_pass(settings, router),
        router=router,
        directory=wiring.directory(settings),
        shards=wiring.shard_queue(settings),
        shard_budget=settings.shard_budget,
        io_threads=settings.io_threads,
    )


def heartbeat_pass(settings: EvaluatorSettings, router: Router) -> HeartbeatSweep:
    """Its alerts are a source's: the lifecycle's `receive` needs no rules (it is told who hears them)."""
    lifecycle = AlertLifecycle(wiring.alerts(settings), wiring.states(settings))
    return HeartbeatSweep(wiring.heartbeats(settings), lifecycle, router)


default = cache(build)  # once per container: its settings do not change while it runs


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext, evaluator: Evaluator | None = None) -> dict[str, Any]:
    """``evaluator``: a test's own; by default the container's, built from the environment."""
    # The scheduled time, not the wall clock: a retried or duplicated tick evaluates the same minute.
    now = parse_time(event["time"]) if event.get("time") else utcnow()
    with invocation_budget():
        summary = (evaluator or default(EvaluatorSettings.from_env())).run(now)
    report(summary)
    return summary.model_dump(mode="json")


def evaluate_shard(record: SQSRecord, evaluator: Evaluator) -> None:
    try:
        tick, part = parse_shard_message(record.body, utcnow())
    except MalformedRecord as exc:
        # Refused unevaluated each time it comes, until the queue's redrive moves it to the DLQ;
        # its body is not logged (whoever wrote it may have put anything there).
        logger.error("invalid shard message", extra={"message_id": record.message_id, "reason": str(exc)})
        raise
    report(evaluator.run_shard(tick, part))


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def shard(event: dict[str, Any], context: LambdaContext, worker: Evaluator | None = None) -> PartialItemFailureResponse:
    """A shard that fails is reported and comes back after its visibility timeout (then the DLQ).
    ``worker``: the evaluator of the shards (a test's own); by default the container's."""
    from aws_lambda_powertools.utilities.batch import process_partial_response

    evaluate = partial(evaluate_shard, evaluator=worker or default(EvaluatorSettings.from_env()))
    with invocation_budget():
        return process_partial_response(event=event, record_handler=evaluate, processor=batches(), context=context)


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
