"""Ingest benchmark (`make bench`): events a second into the alerts table, and POST → delivery, on
the local stack (moto, in process).

An Events API integration (`POST /v2/enqueue`) whose label `team=bench` routes to a Slack channel
(the local stand-in, a real HTTP server on 127.0.0.1). Two figures:
- events a second: triggers with distinct dedup keys through IngestApiFunction's real handler
  into the alerts table (each opens an alert), then their resolves;
- POST → delivery: from the trigger's request to the Slack stand-in receiving the message, when
  the stream is read at once (`pump`; on AWS add the stream's poll, about 250 ms).
moto copies a table on every transaction, so absolute rates are moto's, far below DynamoDB's;
`bench/alertmanager.py` measures the ingest path at DynamoDB's latency on the in-memory fake.
"""

from __future__ import annotations

import logging
import statistics
import time
from typing import Any

from alerting_local.stack import LocalStack

EVENTS = 100
ROUNDS = 20
SLACK_PATH = "/services/T000/B000/bench"


def _create(local: LocalStack, path: str, body: dict[str, Any]) -> dict[str, Any]:
    status, created = local.api("POST", path, body=body)
    if status != 201:
        raise SystemExit(f"POST {path}: {status} {created}")
    return dict(created)


def _enqueue(local: LocalStack, key: str, dedup: str, action: str) -> None:
    event: dict[str, Any] = {"routing_key": key, "dedup_key": dedup, "event_action": action}
    if action == "trigger":
        event["payload"] = {"summary": f"bench {dedup}", "source": "bench", "severity": "error"}
    status, answer = local.ingest("POST", "/v2/enqueue", body=event)
    if status != 202:
        raise SystemExit(f"/v2/enqueue {action}: {status} {answer}")


def events_per_second(local: LocalStack, key: str) -> tuple[float, float]:
    started = time.perf_counter()
    for i in range(EVENTS):
        _enqueue(local, key, f"rate-{i}", "trigger")
    opened = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(EVENTS):
        _enqueue(local, key, f"rate-{i}", "resolve")
    resolved = time.perf_counter() - started
    local.pump()
    return EVENTS / opened, EVENTS / resolved


def post_to_delivery(local: LocalStack, key: str) -> list[float]:
    took = []
    for i in range(ROUNDS):
        before = len(local.receiver.received(SLACK_PATH))
        started = time.perf_counter()
        _enqueue(local, key, f"latency-{i}", "trigger")
        while len(local.receiver.received(SLACK_PATH)) == before:
            local.pump()
        took.append(time.perf_counter() - started)
        _enqueue(local, key, f"latency-{i}", "resolve")
        local.pump()
    return took


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with LocalStack(overrides={"LogLevel": "ERROR"}) as local:
        slack = {"channel_id": "bench-slack", "name": "bench", "type": "slack"}
        _create(local, "/channels", slack | {"target": {"webhook_url": local.receiver.url(SLACK_PATH)}})
        route = {"route_id": "bench", "name": "bench", "receiver": {"channels": ["bench-slack"]}}
        _create(local, "/routes", route | {"matchers": [{"label": "team", "value": "bench"}]})
        key = _create(local, "/integrations", {"name": "bench", "type": "events", "labels": {"team": "bench"}})["key"]
        opened, resolved = events_per_second(local, key)
        took = post_to_delivery(local, key)
    print("Ingest on the local stack (moto in process; IngestApiFunction's real handler)")
    print(
        f"  POST /v2/enqueue into the alerts table: {opened:.0f} triggers/s (each opens an alert), "
        f"{resolved:.0f} resolves/s"
    )
    print(
        f"  POST -> Slack stand-in received, stream read at once: median {statistics.median(took) * 1000:.0f} ms, "
        f"max {max(took) * 1000:.0f} ms over {ROUNDS} alerts"
    )


if __name__ == "__main__":
    main()
