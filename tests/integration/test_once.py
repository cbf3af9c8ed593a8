"""Things used once, in the config table (moto): the first claim of a token wins, every later one
(from any instance, racing or not) is told it was used, and the item expires with the token."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from alerting.repositories.config import TTL_ATTRIBUTE
from alerting.repositories.dynamo import from_item, key
from alerting.repositories.once import KIND_ONCE, OnceStore

T = 1_795_708_800


def store(aws: Any) -> OnceStore:
    return OnceStore(aws.client("dynamodb"), aws.env("ApiFunction")["CONFIG_TABLE"])


def test_a_token_is_claimed_once_and_kept_until_it_could_no_longer_be_used(aws: Any) -> None:
    once = store(aws)

    assert once.claim("slack", "v0=abc", T + 600) is True
    assert once.claim("slack", "v0=abc", T + 600) is False
    assert store(aws).claim("slack", "v0=abc", T + 900) is False  # another instance: the same answer
    assert once.claim("ack-link", "v0=abc", T + 600) is True  # each scope its own

    item = aws.client("dynamodb").get_item(
        TableName=aws.env("ApiFunction")["CONFIG_TABLE"], Key=key(pk=KIND_ONCE, sk="slack#v0=abc")
    )["Item"]
    assert from_item(item)[TTL_ATTRIBUTE] == T + 600


def test_of_many_instances_racing_with_one_token_exactly_one_wins(aws: Any) -> None:
    instances = [store(aws) for _ in range(8)]

    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(lambda once: once.claim("slack", "v0=race", T + 600), instances))

    assert sorted(won) == [False] * 7 + [True]
