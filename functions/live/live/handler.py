"""The live view's two Lambda handlers.

``connections``: the WebSocket API's routes. ``$connect`` (IAM-authorised by API Gateway)
stores the connection with the filter of its query string, ``$disconnect`` forgets it,
``$default`` takes ``{"action": "subscribe", "filter": {...}}`` or ``{"action": "ping"}`` and
answers on the socket (a two-way route).

``broadcast``: a second consumer of the alerts stream; each transition goes to every matching
connection. A malformed record is reported in ``batchItemFailures``; the good ones still go.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from alerting import json_limits, wiring
from alerting.errors import InvalidInput, MalformedRecord, NotFound
from alerting.live import parse_subscription, subscription_from_query
from alerting.models.common import utcnow
from alerting.repositories.connections import ConnectionStore
from alerting.repositories.stream_records import parse_record
from alerting.settings import LiveSettings, quiet_wire_logs
from alerting.stream import Notice
from live.broadcast import Broadcaster

logger = Logger()
tracer = Tracer(patch_modules=["boto3", "botocore"])
quiet_wire_logs()
metrics = Metrics()


def build(settings: LiveSettings) -> Broadcaster:
    return Broadcaster(connections=wiring.connections(settings), push=wiring.pusher(settings).push)


# Once per container: its settings do not change while it runs.
default_store = cache(wiring.connections)
default_broadcaster = cache(build)


def _answer(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "body": json.dumps(body)}


def _caller(context: dict[str, Any]) -> str:
    """Who connected: a dashboard user's own Cognito identity (they all share one role session)."""
    identity = context.get("identity") or {}
    return str(identity.get("cognitoIdentityId") or identity.get("userArn") or "unknown")


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
def connections(event: dict[str, Any], context: LambdaContext, store: ConnectionStore | None = None) -> dict[str, Any]:
    """``store``: a test's own; by default the container's, built from the environment."""
    request = event.get("requestContext") or {}
    route, connection_id = request.get("routeKey"), str(request.get("connectionId", ""))
    connections = store or default_store(LiveSettings.from_env())
    try:
        if route == "$connect":
            subscription = subscription_from_query(event.get("queryStringParameters") or {})
            connections.connect(connection_id, subscription, _caller(request), utcnow())
            logger.info("live connection", extra={"connection_id": connection_id, "caller": _caller(request)})
            return _answer(200, {"connected": connection_id})
        if route == "$disconnect":
            connections.disconnect(connection_id)
            return _answer(200, {"disconnected": connection_id})
        return _message(connections, connection_id, event.get("body"))
    except InvalidInput as exc:
        return _answer(400, {"error": "invalid_input", "field": exc.field, "message": exc.message})
    except NotFound:
        return _answer(410, {"error": "gone", "message": "this connection is no longer registered"})


def _message(connections: ConnectionStore, connection_id: str, body: Any) -> dict[str, Any]:
    try:
        message = json_limits.loads(body or "")
    except ValueError as exc:  # not JSON, or nested deep enough to exhaust the stack
        raise InvalidInput("body", str(exc)) from None
    action = message.get("action") if isinstance(message, dict) else None
    if action == "ping":
        return _answer(200, {"pong": True})
    if action != "subscribe":
        raise InvalidInput("action", "must be subscribe or ping")
    subscription = parse_subscription(message.get("filter"))
    connections.subscribe(connection_id, subscription)
    return _answer(200, {"subscribed": subscription.model_dump(mode="json")})


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def broadcast(event: dict[str, Any], context: LambdaContext, broadcaster: Broadcaster | None = None) -> dict[str, Any]:
    """``broadcaster``: a test's own; by default the container's, built from the environment."""
    notices: list[Notice] = []
    failures: list[dict[str, str]] = []
    for record in event.get("Records") or []:
        try:
            notice = parse_record(record)
        except MalformedRecord as exc:
            sequence = str((record.get("dynamodb") or {}).get("SequenceNumber", ""))
            logger.error("malformed stream record", extra={"sequence": sequence, "reason": str(exc)})
            failures.append({"itemIdentifier": sequence})
            continue
        if notice is not None:
            notices.append(notice)
    # Connections that cannot be read raise: the whole batch is retried.
    report = (broadcaster or default_broadcaster(LiveSettings.from_env())).broadcast(notices, utcnow())
    for name in ("pushed", "gone", "failed"):
        metrics.add_metric(name=f"Live_{name}", unit=MetricUnit.Count, value=getattr(report, name))
    logger.info("broadcast", extra=report.__dict__)
    return {"batchItemFailures": failures}
