"""Alertmanager API benchmark (`make bench`): alerts a second through `POST /api/v2/alerts` into
the alerts table.

IngestApiFunction's real handler (the door: the key, its integration, the token bucket; then the
route, the posted alerts' checks and the alert lifecycle), its storage on the counting in-memory
DynamoDB (`bench.fake_dynamodb`: moto copies a whole table for every transaction, so its times
say nothing), each request answered after a same-region round trip (`DDB_LATENCY`, as
`bench/scale.py`). Three runs: new alerts one a request; new alerts a hundred a request (a
batch's alerts go through the lifecycle at once, `IO_THREADS`); the same hundreds sent again, as
Prometheus resends them every minute (each refreshes its alert's end). Printed: alerts a second,
milliseconds a request (median), and DynamoDB requests an alert (exact: what AWS bills).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import statistics
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from alerting.kinds import INHIBITION, INTEGRATION, ROUTE, SILENCE
from alerting.lifecycle import AlertLifecycle
from alerting.limits import Limit
from alerting.models.common import utcnow
from alerting.models.integrations import Integration, IntegrationType, key_hash, new_key
from alerting.repositories.alerts import AlertRepository
from alerting.repositories.keys import KeyOwner, KeyStore
from alerting.repositories.quotas import Rate, RateLimiter
from alerting.repositories.state import StateRepository
from alerting.routing import Router
from alerting.settings import IngestApiSettings
from alerting.silencing import SilenceService
from alerting.wiring import ConfigTable
from alerting_local.apigw import proxy_event
from alerting_local.lambda_runtime import LambdaContext
from alerting_local.stack import LocalStack
from bench.fake_dynamodb import FakeDynamoDB

if TYPE_CHECKING:
    from ingest.dependencies import Services

DDB_LATENCY = 0.008  # seconds a DynamoDB request in the same region
RUNS = (("new, 1 a request", 1, 100), ("new, 100 a request", 100, 5), ("resent, 100 a request", 100, 5))
CALLS = ("query", "get_item", "batch_get_item", "put_item", "transact_write_items")


class SlowDynamoDB(FakeDynamoDB):
    """The in-memory DynamoDB, each request answered after a same-region round trip."""

    def __getattribute__(self, name: str) -> Any:
        if name in CALLS:
            time.sleep(DDB_LATENCY)
        return super().__getattribute__(name)


class Bucket(RateLimiter):
    """The door's token bucket (one UpdateItem a request, counted and waited for), never empty."""

    def __init__(self, dynamodb: FakeDynamoDB) -> None:
        super().__init__(dynamodb, "ConfigTable")
        self.dynamodb = dynamodb

    def take(self, rate: Rate, subject: str, at: datetime) -> float:
        self.dynamodb.calls["update_item"] += 1
        time.sleep(DDB_LATENCY)
        return 0.0


def services(template: Services, dynamodb: FakeDynamoDB, key: str) -> Services:
    """The ingest API's services on ``dynamodb``, with an alertmanager integration whose key is ``key``."""
    from ingest.alertmanager_service import AlertmanagerApi
    from ingest.gate import Gate

    config = ConfigTable(dynamodb, "ConfigTable")
    keys = KeyStore(dynamodb, "ConfigTable")
    integration = Integration(
        integration_id="bench",
        name="Bench",
        type=IntegrationType.alertmanager,
        key_hash=key_hash(key),
        created_at=utcnow(),
    )
    config.repository(INTEGRATION).create(
        integration, also=[keys.put_op(key_hash(key), KeyOwner("integration", "bench"))]
    )
    lifecycle = AlertLifecycle(
        AlertRepository(dynamodb, "AlertsTable", "AlertLogTable"), StateRepository(dynamodb, "StateTable")
    )
    routes = config.repository(ROUTE)
    router = Router(lambda: list(routes.all()))
    silences = SilenceService(config.repository(SILENCE), Limit("silences", 1000, "MaxSilences"))
    alertmanager = AlertmanagerApi(lifecycle, silences, router, config.repository(INHIBITION), "bench", utcnow())
    gate = Gate(
        keys, {INTEGRATION.name: config.repository(INTEGRATION).find}, Bucket(dynamodb), Rate("ingest", 50, 100)
    )
    return replace(template, gate=gate, lifecycle=lifecycle, route=router, alertmanager=alertmanager)


def alerts(batch: int, request: int, ends: datetime) -> str:
    return json.dumps(
        [
            {
                "labels": {
                    "alertname": "BenchDiskFull",
                    "instance": f"db-{batch}-{request}-{n}",
                    "severity": "warning",
                },
                "annotations": {"summary": "disk 97% full"},
                "startsAt": (ends - timedelta(minutes=5)).isoformat(),
                "endsAt": ends.isoformat(),
                "generatorURL": "http://prometheus:9090/graph",
            }
            for n in range(batch)
        ]
    )


def run(found: Services, dynamodb: FakeDynamoDB, key: str, batch: int, requests: int, ends: datetime) -> str:
    events = [
        proxy_event("POST", "/api/v2/alerts", body=alerts(batch, n, ends), headers={"Authorization": f"Bearer {key}"})
        for n in range(requests)
    ]
    from ingest import api

    before = Counter(dynamodb.calls)
    took = []
    for event in events:
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):  # the metrics' lines (EMF), as Lambda prints them
            response = api.handler(event, LambdaContext("IngestApiFunction"), services=found)
        took.append(time.perf_counter() - started)
        assert response["statusCode"] == 200, response
    sent = batch * requests
    calls = Counter(dynamodb.calls) - before
    per_alert = ", ".join(f"{name} {count / sent:.2f}" for name, count in sorted(calls.items()))
    return (
        f"{sent / sum(took):>6.0f} alerts/s  {statistics.median(took) * 1000:>6.1f} ms a request (median)  "
        f"DynamoDB an alert: {calls.total() / sent:.2f} ({per_alert})"
    )


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # The local stack only for the functions' environment (the handler's settings, read as its
    # modules are imported: the logger's level, the metrics' namespace); storage is the fake.
    with LocalStack(overrides={"LogLevel": "ERROR"}):
        from ingest.alertmanager_service import IO_THREADS
        from ingest.dependencies import build

        template = build(IngestApiSettings.from_env())
        dynamodb, key = SlowDynamoDB.from_template(), new_key()
        found = services(template, dynamodb, key)
        ends = datetime.now(UTC) + timedelta(hours=1)
        print(
            f"Alertmanager API: POST /api/v2/alerts into the alerts table ({DDB_LATENCY * 1000:.0f} ms a DynamoDB "
            f"request, a batch's alerts {IO_THREADS} at once)"
        )
        for name, batch, requests in RUNS:
            resent = timedelta(minutes=1 if name.startswith("resent") else 0)
            print(f"  {name:<22} {run(found, dynamodb, key, batch, requests, ends + resent)}")


if __name__ == "__main__":
    main()
