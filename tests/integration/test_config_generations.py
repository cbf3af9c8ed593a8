"""Read your writes: every write of a config kind bumps its generation in the same transaction,
so a cache that compares generations can never serve a change's old value."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from alerting.errors import AlreadyExists, ConcurrentUpdate, Conflict, NotFound
from alerting.kinds import CHANNEL, SILENCE
from alerting.models.channels import Channel
from alerting.repositories.config import ConfigGenerations, ConfigRepository


def channel(version: int = 1, name: str = "Ops") -> Channel:
    return Channel.model_validate(
        {
            "channel_id": "ops",
            "name": name,
            "type": "sns",
            "target": {"topic_arn": "arn:aws:sns:us-east-1:123456789012:ops"},
            "version": version,
            "created_at": "2026-12-01T00:00:00Z",
            "updated_at": "2026-12-01T00:00:00Z",
        }
    )


@pytest.fixture
def tables(aws: Any) -> tuple[Any, str]:
    return aws.client("dynamodb"), aws.env("ApiFunction")["CONFIG_TABLE"]


def test_every_write_bumps_its_kind_and_a_refused_one_does_not(tables):
    dynamodb, table = tables
    channels = ConfigRepository(dynamodb, table, CHANNEL)
    generations = ConfigGenerations(dynamodb, table)
    assert generations.read() == {}

    channels.create(channel())
    with pytest.raises(AlreadyExists):
        channels.create(channel())
    assert generations.read() == {"channel": 1}
    channels.replace(channel(version=2, name="Ops 2"), expected_version=1)
    with pytest.raises(Conflict):
        channels.replace(channel(version=2, name="stale"), expected_version=1)
    channels.put(channel(version=3))
    channels.delete("ops")
    with pytest.raises(NotFound):
        channels.delete("ops")
    # another kind, its own counter (a channel stored under the silences' kind will do)
    ConfigRepository(dynamodb, table, replace(CHANNEL, name="silence")).create(channel())
    assert generations.read() == {"channel": 4, "silence": 1}


class Colliding:
    """A client whose first transaction collides with another writer's, as DynamoDB reports it."""

    def __init__(self, client: Any, collisions: int) -> None:
        self._client = client
        self.collisions = collisions
        self.transactions = 0

    def transact_write_items(self, **params: Any) -> Any:
        self.transactions += 1
        if self.collisions:
            self.collisions -= 1
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                    "CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict"}],
                },
                "TransactWriteItems",
            )
        return self._client.transact_write_items(**params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_a_write_that_collides_on_the_counter_is_tried_again(tables):
    dynamodb, table = tables
    colliding = Colliding(dynamodb, collisions=2)
    ConfigRepository(colliding, table, CHANNEL).create(channel())
    assert colliding.transactions == 3
    assert ConfigGenerations(dynamodb, table).read() == {"channel": 1}


def test_a_write_that_keeps_colliding_fails_as_a_race_rather_than_skip_the_counter(tables):
    """A 409 asking to retry, not a 500; and nothing written."""
    dynamodb, table = tables
    colliding = Colliding(dynamodb, collisions=99)
    with pytest.raises(ConcurrentUpdate):
        ConfigRepository(colliding, table, CHANNEL).create(channel())
    assert colliding.transactions == 5
    assert ConfigGenerations(dynamodb, table).read() == {}


def test_a_silence_stored_before_re2_still_loads_with_the_rest(tables):
    """A regex Python's re took and RE2 refuses, saved before the upgrade: listing silences
    (every tick, every notifier reload, GET /silences) must not fail on it."""
    from alerting.repositories.dynamo import to_item

    dynamodb, table = tables
    dynamodb.put_item(
        TableName=table,
        Item=to_item(
            {
                "pk": "silence",
                "sk": "old",
                "silence_id": "old",
                "matchers": [{"label": "service", "op": "=~", "value": "pay(?!ments)"}],
                "starts_at": "2026-12-01T00:00:00Z",
                "ends_at": "2026-12-02T00:00:00Z",
                "created_by": "alice",
                "created_at": "2026-12-01T00:00:00Z",
                "updated_at": "2026-12-01T00:00:00Z",
            }
        ),
    )
    (old,) = ConfigRepository(dynamodb, table, SILENCE).all()
    assert old.matchers[0].matches({"service": "pay"}) is False
