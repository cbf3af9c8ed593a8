"""A tick too big for one invocation, on the local stack: the evaluator plans shards onto the
shard queue and the worker function evaluates them (the queue's mapping, as Lambda runs it)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from alerting.models.common import set_clock
from alerting.repositories.state import StateRepository
from alerting_local.stack import LocalStack
from evaluator import handler
from tests.factories import rule_data
from tests.infrastructure.test_iam import role_actions

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
RULES = 12
BUDGET = 3  # series per invocation: twelve rules make several shards


@pytest.fixture
def local() -> Iterator[LocalStack]:
    with LocalStack(overrides={"LogLevel": "ERROR", "ShardBudgetSeries": str(BUDGET)}) as stack:
        for n in range(RULES):
            status, body = stack.api("POST", "/rules", body=rule_data(rule_id=f"cpu-{n:02d}", name=f"CPU {n}"))
            assert status == 201, body
        for back in (30, 90, 150):
            stack.put_metric("CPUUtilization", 99, NOW - timedelta(seconds=back))
        yield stack
    set_clock(None)


def alerts(local: LocalStack) -> list[dict]:
    status, page = local.api("GET", "/alerts", query={"limit": "100"})
    assert status == 200
    return list(page["items"])


def test_a_big_tick_is_split_into_shards_and_every_due_rule_is_evaluated_once(local: LocalStack):
    summary = local.tick(NOW)

    assert summary["shards"] > 1 and summary["shards_reported"] == summary["shards"]
    assert summary["rules_evaluated"] == RULES and summary["series"] == RULES
    assert summary["alerts_fired"] == RULES
    assert sorted(a["rule_id"] for a in alerts(local)) == [f"cpu-{n:02d}" for n in range(RULES)]
    worker = local.calls.actions["EvaluatorWorkerFunction"]
    assert "dynamodb:Query" in worker and "dynamodb:Scan" not in worker  # its buckets, through the index
    assert worker <= role_actions("EvaluatorWorkerFunction")
    assert local.calls.actions["EvaluatorFunction"] <= role_actions("EvaluatorFunction")


def test_a_duplicated_tick_or_shard_counts_once(local: LocalStack):
    local.tick(NOW)
    again = local.tick(NOW)  # the schedule's retry: every shard sent and evaluated a second time

    assert again["duplicates"] == RULES and again["alerts_fired"] == 0 and again["state_writes"] == 0
    assert len(alerts(local)) == RULES


def test_a_failed_shard_comes_back_after_its_visibility_timeout_and_counts_once(local: LocalStack, monkeypatch):
    real = StateRepository.load_buckets
    failures: list[tuple[int, ...]] = []

    def flaky(self: StateRepository, buckets):  # the first shard's first read fails (throttled, say)
        buckets = tuple(buckets)
        if not failures:
            failures.append(buckets)
            raise RuntimeError("ProvisionedThroughputExceeded")
        return real(self, buckets)

    monkeypatch.setattr(StateRepository, "load_buckets", flaky)
    first = local.tick(NOW)
    assert first["shards_reported"] == first["shards"] - 1
    assert first["alerts_fired"] < RULES

    later = datetime.now(UTC) + timedelta(seconds=70)  # moto's SQS follows the handlers' clock
    set_clock(lambda: later)  # past the queue's visibility timeout, within its retention
    local.shards.drain()

    assert len(failures) == 1
    fired = sorted(a["rule_id"] for a in alerts(local))
    assert fired == [f"cpu-{n:02d}" for n in range(RULES)]  # each once, the late shard's too


def test_a_malformed_shard_message_is_reported_not_evaluated(local: LocalStack):
    sqs = local.client("sqs")
    sqs.send_message(QueueUrl=local.stack.refs["EvaluationShardQueue"], MessageBody=json.dumps({"index": 0}))
    (answer,) = local.shards.drain()
    assert len(answer["batchItemFailures"]) == 1
    assert alerts(local) == []


def test_an_invalid_shard_message_goes_to_the_dlq_unevaluated_and_is_logged_without_its_body(local: LocalStack):
    # Given a message of the right shape whose tick lies in the future, and one naming an unknown bucket
    sqs = local.client("sqs")
    queue, dlq = local.stack.refs["EvaluationShardQueue"], local.stack.refs["EvaluatorDeadLetterQueue"]
    ids = [f"cpu-{n:02d}" for n in range(RULES)]
    future = (datetime.now(UTC) + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:00Z")
    bodies = [
        json.dumps({"tick": future, "index": 0, "buckets": list(range(256)), "due": ids}),
        json.dumps({"tick": "2026-12-02T09:00:00Z", "index": 0, "buckets": [999], "due": ["secret-looking-id"]}),
    ]
    for body in bodies:
        sqs.send_message(QueueUrl=queue, MessageBody=body)
    log = io.StringIO()
    previous = handler.logger.registered_handler.setStream(log)
    try:
        # When the worker receives them as often as the queue's redrive policy allows
        refusals = []
        for receive in range(3):
            set_clock(lambda receive=receive: datetime.now(UTC) + timedelta(seconds=70 * receive))
            refusals += [f["itemIdentifier"] for answer in local.shards.drain() for f in answer["batchItemFailures"]]
    finally:
        handler.logger.registered_handler.setStream(previous)

    # Then each was refused twice, nothing was evaluated, and both now wait in the DLQ
    assert len(refusals) == 4 and len(set(refusals)) == 2
    assert alerts(local) == [] and local.calls.actions["EvaluatorWorkerFunction"] == set()  # not one AWS call
    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in dead) == sorted(bodies)
    lines = [json.loads(line) for line in log.getvalue().splitlines()]
    refused = [line for line in lines if line["message"] == "invalid shard message"]
    assert len(refused) == 4
    assert {line["reason"].split(": ", 1)[1] for line in refused} == {
        "its tick is in the future",
        "buckets.0: Input should be less than 256",
    }
    assert "secret-looking-id" not in log.getvalue() and "cpu-00" not in log.getvalue()


def test_a_small_tick_stays_in_one_invocation(local: LocalStack):
    sqs = local.client("sqs")
    local.api("PUT", "/rules/cpu-00", body={**rule_data(rule_id="cpu-00", name="CPU 0"), "version": 1})
    for n in range(1, RULES):
        local.api("DELETE", f"/rules/cpu-{n:02d}")
    summary = local.tick(NOW)
    assert (summary["shards"], summary["rules_evaluated"], summary["alerts_fired"]) == (0, 1, 1)
    depth = sqs.get_queue_attributes(
        QueueUrl=local.stack.refs["EvaluationShardQueue"], AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert depth["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_series_stored_before_fan_out_get_their_bucket_and_their_alerts_still_resolve(local: LocalStack):
    local.tick(NOW)
    dynamodb, table = local.client("dynamodb"), local.stack.refs["StateTable"]
    for item in dynamodb.scan(TableName=table)["Items"]:  # as a deployment from before fan-out left them
        key = {"rule_id": item["rule_id"], "fingerprint": item["fingerprint"]}
        dynamodb.update_item(
            TableName=table, Key=key, UpdateExpression="REMOVE #b", ExpressionAttributeNames={"#b": "bucket"}
        )
    dynamodb.delete_item(
        TableName=local.stack.refs["ConfigTable"], Key={"pk": {"S": "meta"}, "sk": {"S": "flag#state-buckets"}}
    )
    handler.default.cache_clear()  # the upgraded deployment's first container
    later = NOW + timedelta(minutes=1)
    for back in (30, 90, 150):
        local.put_metric("CPUUtilization", 10, later - timedelta(seconds=back))

    summary = local.tick(later)

    assert summary["alerts_resolved"] == RULES
    assert all("bucket" in item for item in dynamodb.scan(TableName=table)["Items"])
