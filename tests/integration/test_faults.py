"""Fault injection on the local stack, reconciled end to end: every transition against every
delivery record and every receiver hit.

Faults, all in one run on a simulated clock: a receiver that accepts a message and then answers
500, one that rate-limits, throttled DynamoDB on the evaluator's commit, a notifier that raises
midway through a batch, duplicated and overlapping ticks, stream records redelivered and
reordered, retry rounds delayed on the queue. Expected: 0 lost, 0 duplicated, except the
accept-then-fail receiver, whose duplicates carry the same delivery id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from alerting import settings
from alerting.models.common import set_clock
from alerting.repositories import clients
from alerting_local.lambda_runtime import LambdaContext
from alerting_local.receiver import Reply
from alerting_local.stack import LocalStack
from tests.factories import rule_data

START = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
RULES = 4
ACCEPT_THEN_FAIL = "/hook/0"  # records the request, answers 500: the one documented duplicate
# Breaching minutes per rule (each rule is offset, so transitions of several rules share batches).
BREACHING = {i: {m for m in range(16) if (m + i) % 8 in (1, 2, 3)} for i in range(RULES)}


@pytest.fixture
def local() -> Iterator[LocalStack]:
    with LocalStack(overrides={"LogLevel": "ERROR"}) as stack:
        yield stack
    set_clock(None)


class Faults:
    """Wraps the stack's clients and handlers with the faults this run injects."""

    def __init__(self, local: LocalStack) -> None:
        self.local = local
        self.throttled = 0
        self.crashes = 0
        self.records: list[dict[str, Any]] = []  # every stream record the notifier was handed
        self._calls = 0
        real_handler = local.stream.handler
        notifier = self

        def flaky_notifier(event: dict[str, Any], context: Any) -> Any:
            notifier.records.extend(event["Records"])
            notifier._calls += 1
            if notifier._calls % 3 == 0:  # dies halfway through the batch
                notifier.crashes += 1
                real_handler({"Records": event["Records"][: len(event["Records"]) // 2]}, context)
                raise RuntimeError("the notifier crashed mid-batch")
            return real_handler(event, context)

        local.stream.handler = flaky_notifier

    def throttle_commits(self) -> None:
        """Every third TransactWriteItems of the functions is throttled."""
        env = settings.EvaluatorSettings.from_env()
        dynamodb = clients.client("dynamodb", env.region, env.endpoint_url)
        real = dynamodb.transact_write_items
        count = [0]

        def transact(**kwargs: Any) -> Any:
            count[0] += 1
            if count[0] % 3 == 0:
                self.throttled += 1
                raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "Transact")
            return real(**kwargs)

        dynamodb.transact_write_items = transact


def _setup(local: LocalStack) -> None:
    local.receiver.script(ACCEPT_THEN_FAIL, Reply.server_error())  # its first message: taken, then 500
    local.receiver.script("/hook/1", Reply.rate_limited("1"), Reply.rate_limited("40"))  # a delayed round
    for i in range(RULES):
        channel = {"channel_id": f"hook-{i}", "name": f"h{i}", "type": "webhook"}
        status, _ = local.api(
            "POST", "/channels", body={**channel, "target": {"url": local.receiver.url(f"/hook/{i}")}}
        )
        assert status == 201
        metric = {"namespace": "App/Service", "name": f"Load{i}", "dimensions": {"Service": "web"}}
        rule = rule_data(
            rule_id=f"load-{i}",
            name=f"Load {i}",
            conditions=[{"metric": metric, "operator": "gte", "threshold": 85}],
            window_seconds=60,
            channels=[f"hook-{i}"],
        )
        status, body = local.api("POST", "/rules", body=rule)
        assert status == 201, body


def _alerts(local: LocalStack) -> list[dict[str, Any]]:
    status, page = local.api("GET", "/alerts", query={"limit": "100"})
    assert status == 200 and page["next_token"] is None
    return list(page["items"])


def test_every_transition_is_delivered_once_under_injected_faults(local: LocalStack):
    _setup(local)
    faults = Faults(local)
    faults.throttle_commits()
    now = [START]
    set_clock(lambda: now[0])

    for minute in range(1, 16):
        at = START + timedelta(minutes=minute)
        for i in range(RULES):
            local.put_metric(f"Load{i}", 97 if minute in BREACHING[i] else 20, at - timedelta(seconds=50))
        now[0] = at + timedelta(seconds=20)
        local.tick(at)
        local.tick(at)  # EventBridge delivered the tick twice
        local.tick(at - timedelta(minutes=1))  # and a retry of the previous one overlaps
        local.pump()
        now[0] += timedelta(seconds=35)  # delayed retry rounds come due
        local.pump()
    for _ in range(3):  # let every pending round finish
        now[0] += timedelta(minutes=2)
        local.pump()

    # The stream redelivers everything, in reverse order
    replay = list(reversed(faults.records))
    answer = local.handler("NotifierFunction")({"Records": replay}, LambdaContext("notifier"))
    assert answer == {"batchItemFailures": []}

    # Reconcile: transitions ↔ delivery records ↔ receiver hits
    alerts = _alerts(local)
    transitions: dict[str, str] = {}  # delivery id → path
    for alert in alerts:
        _, history = local.api("GET", f"/alerts/{alert['alert_id']}/history")
        _, deliveries = local.api("GET", f"/alerts/{alert['alert_id']}/deliveries")
        (channel,) = alert["channels"]
        records = {(d["seq"], d["channel_id"]): d for d in deliveries["items"]}
        for transition in history["items"]:
            record = records[(transition["seq"], channel)]
            assert record["status"] == "delivered", record
            assert records[(transition["seq"], "alerts-topic")]["status"] == "delivered"
            transitions[f"{alert['alert_id']}:{transition['seq']}:{channel}"] = f"/hook/{channel.split('-')[1]}"
    requests = [r for i in range(RULES) for r in local.receiver.received(f"/hook/{i}")]
    # A message counts as received when the receiver took it: answered 2xx, or the 500 after
    # taking it (a 429 is a refusal: the message was not taken)
    taken = [r for r in requests if r.status < 300 or (r.path == ACCEPT_THEN_FAIL and r.status == 500)]
    hits = Counter((r.path, r.headers["X-Alerting-Delivery"]) for r in taken)
    lost = [d for d, path in transitions.items() if hits[(path, d)] == 0]
    phantom = [d for _, d in hits if d not in transitions]
    duplicated = {d: n for (path, d), n in hits.items() if n > 1}
    assert (lost, phantom) == ([], [])
    assert all(transitions[d] == ACCEPT_THEN_FAIL for d in duplicated), duplicated
    assert len(duplicated) == 1  # the one message the receiver took before failing

    # And the run was not vacuous: every rule fired and resolved, every fault happened
    events = Counter(t.rsplit(":", 2)[0] for t in transitions)
    assert len(alerts) >= 2 * RULES and sum(events.values()) >= 3 * RULES
    assert faults.throttled > 0 and faults.crashes > 0
    assert [r.status for r in local.receiver.received("/hook/1")][:2] == [429, 429]
