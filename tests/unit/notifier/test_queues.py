"""The notifier's queues: the exact SQS requests for a delivery's next round, a group's message
and a delivery given up (Stubber: the request is what matters); and the dead-letter depths."""

from __future__ import annotations

import json

import boto3
from botocore.stub import Stubber

from alerting.repositories.queues import MAX_DELAY, DeadLetterQueues, Queue
from notifier.transitions import DeadLetters, Flush, RetryQueue, flush_message, parse_queue_message, retry_message
from tests.unit.notifier.builders import notice

URL = "https://sqs.us-east-1.amazonaws.com/123456789012/q"


def sqs():
    return boto3.client("sqs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def test_a_round_waits_on_the_retry_queue_at_most_sqs_longest_delay():
    client, fired = sqs(), notice()
    body = retry_message(fired, "ops-slack")
    with Stubber(client) as stub:
        stub.add_response("send_message", {}, {"QueueUrl": URL, "MessageBody": body, "DelaySeconds": 30})
        stub.add_response("send_message", {}, {"QueueUrl": URL, "MessageBody": body, "DelaySeconds": MAX_DELAY})
        RetryQueue(Queue(client, URL)).round(fired, "ops-slack", 30)
        RetryQueue(Queue(client, URL)).round(fired, "ops-slack", 3600)  # served in steps
        stub.assert_no_pending_responses()
    assert parse_queue_message(body) == (fired, "ops-slack")


def test_a_groups_message_waits_on_the_retry_queue():
    client, flush = sqs(), Flush("ops-slack", "k", ("a-1|1",), 1)
    with Stubber(client) as stub:
        stub.add_response(
            "send_message", {}, {"QueueUrl": URL, "MessageBody": flush_message(flush), "DelaySeconds": 60}
        )
        RetryQueue(Queue(client, URL)).flush(flush, 60)
        stub.assert_no_pending_responses()
    assert parse_queue_message(flush_message(flush)) == flush


def test_a_delivery_given_up_goes_to_the_dead_letter_queue_as_json_without_a_delay():
    client = sqs()
    message = {"delivery": {"channel_id": "ops-slack"}, "document": {"alert": {"alert_id": "a-1"}}}
    with Stubber(client) as stub:
        stub.add_response("send_message", {}, {"QueueUrl": URL, "MessageBody": json.dumps(message)})
        DeadLetters(Queue(client, URL))(message)
        stub.assert_no_pending_responses()


def test_a_dead_letter_queue_that_cannot_be_read_has_no_depth():
    client = sqs()
    with Stubber(client) as stub:
        stub.add_response("get_queue_attributes", {"Attributes": {"ApproximateNumberOfMessages": "2"}})
        stub.add_client_error("get_queue_attributes", "AccessDenied")
        depths = DeadLetterQueues(client, {"notifier": URL, "evaluator": URL}).depths()
    assert depths == {"notifier": 2, "evaluator": None}
