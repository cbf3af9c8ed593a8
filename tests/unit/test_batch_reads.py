"""BatchGetItem for the notifier's per-transition reads: chunks of 100 keys, unprocessed keys
asked again, consistent reads (Stubber: the exact requests)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from alerting.repositories.breakers import BreakerStore
from alerting.repositories.dynamo import batch_get, key


@pytest.fixture
def dynamodb():
    client = boto3.client("dynamodb", region_name="us-east-1")
    with Stubber(client) as stub:
        yield client, stub


def test_unprocessed_keys_are_asked_again(dynamodb):
    client, stub = dynamodb
    a, b = key(pk="breaker", sk="a"), key(pk="breaker", sk="b")
    stub.add_response(
        "batch_get_item",
        {
            "Responses": {"T": [{**a, "failures": {"N": "2"}}]},
            "UnprocessedKeys": {"T": {"Keys": [b], "ConsistentRead": True}},
        },
        {"RequestItems": {"T": {"Keys": [a, b], "ConsistentRead": True}}},
    )
    stub.add_response(
        "batch_get_item",
        {"Responses": {"T": []}, "UnprocessedKeys": {}},
        {"RequestItems": {"T": {"Keys": [b], "ConsistentRead": True}}},
    )
    breakers = BreakerStore(client, "T").get_many(["a", "b"])
    assert (breakers["a"].failures, breakers["b"].failures) == (2, 0)
    stub.assert_no_pending_responses()


def test_more_than_a_hundred_keys_go_in_chunks_and_endless_throttling_fails_loudly(dynamodb):
    client, stub = dynamodb
    keys = [key(pk="p", sk=str(i)) for i in range(150)]
    stub.add_response(
        "batch_get_item",
        {"Responses": {"T": []}},
        {"RequestItems": {"T": {"Keys": keys[:100], "ConsistentRead": True}}},
    )
    stub.add_response(
        "batch_get_item",
        {"Responses": {"T": []}},
        {"RequestItems": {"T": {"Keys": keys[100:], "ConsistentRead": True}}},
    )
    assert batch_get(client, "T", keys) == []
    stuck = {"T": {"Keys": keys[:1], "ConsistentRead": True}}
    for _ in range(2):
        stub.add_response("batch_get_item", {"Responses": {}, "UnprocessedKeys": stuck}, {"RequestItems": stuck})
    with pytest.raises(RuntimeError, match="unprocessed"):
        batch_get(client, "T", keys[:1], attempts=2)
