"""AlarmIngestFunction: CloudWatch alarms' state changes, from the template's EventBridge rule,
become alerts with the lifecycle every alert has (§16, docs/sources.md).

EventBridge invokes a Lambda target asynchronously with one event per invocation, so "the rest
of the batch" is every other event: an event that fails fails alone. It is logged, counted
(`AlarmEventsFailed`) and raised; Lambda runs it twice more, then it goes to the function's
dead-letter queue (a malformed event fails each time, and is kept there to look at). Ignored
events (`IngestAlarms`, the `alerting:ignore` tag, INSUFFICIENT_DATA) are logged and counted.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from alerting import wiring
from alerting.errors import MalformedRecord
from alerting.lifecycle import AlertLifecycle
from alerting.models.common import utcnow
from alerting.repositories.alarms import AlarmDirectory
from alerting.repositories.state import StateRepository
from alerting.settings import AlarmIngestSettings, quiet_wire_logs
from alerting.sources.cloudwatch_alarms import AlarmSelection
from ingest.alarm_service import AlarmIngest, Ingested

logger = Logger()
tracer = Tracer(patch_modules=["boto3", "botocore"])
quiet_wire_logs()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext, ingest: AlarmIngest | None = None) -> dict[str, Any]:
    """``ingest``: what the event goes through (a test's own); by default built once per container."""
    service = ingest or build(AlarmIngestSettings.from_env())
    try:
        result = service.process(event, utcnow())
    except Exception as exc:
        metrics.add_metric(name="AlarmEventsFailed", unit=MetricUnit.Count, value=1)
        where = {"event_id": event.get("id"), "detail_type": event.get("detail-type"), "reason": str(exc)}
        if isinstance(exc, MalformedRecord):  # the event is not logged: only where it failed
            logger.error("malformed alarm event", extra=where)
        else:
            logger.exception("alarm event failed", extra=where)
        raise
    report(result)
    return result.as_dict()


@cache
def build(settings: AlarmIngestSettings) -> AlarmIngest:
    """Once per container: the stored routes (read again once they change) and the cloudwatch
    integration (labels, severity, INSUFFICIENT_DATA; read at each event)."""
    states = StateRepository(wiring.client(settings, "dynamodb"), settings.state_table)
    return AlarmIngest(
        alarms=AlarmDirectory(wiring.client(settings, "cloudwatch")),
        lifecycle=AlertLifecycle(wiring.alerts(settings), states),
        selection=AlarmSelection.parse(settings.ingest_alarms),
        integration=wiring.cloudwatch_integration(settings),
        route=wiring.router(settings),
    )


def report(result: Ingested) -> None:
    kind = result.outcome.value if result.outcome is not None else "ignored"
    metrics.add_metric(name=f"AlarmEvents{kind.capitalize()}", unit=MetricUnit.Count, value=1)
    logger.info("alarm event", extra=result.as_dict())
