"""Channel secrets in SSM: SecureString, cached briefly, never read twice in a burst."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from alerting.errors import NotFound
from alerting.repositories.secrets import SecretStore


@pytest.fixture
def ssm():
    with mock_aws():
        client = boto3.client("ssm", region_name="us-east-1")
        calls: list[str] = []
        client.meta.events.register("before-call.ssm.GetParameter", lambda **_: calls.append("get"))
        yield client, calls


def test_secrets_are_secure_strings_and_read_once_per_max_age(ssm):
    client, calls = ssm
    now = [0.0]
    store = SecretStore(client, "/stack/channels", clock=lambda: now[0])
    name = store.put("ops", "webhook_url", "https://hooks.slack.com/services/T/B/secret")
    assert client.describe_parameters()["Parameters"][0]["Type"] == "SecureString"
    assert [store.get(name) for _ in range(3)] == ["https://hooks.slack.com/services/T/B/secret"] * 3
    assert calls == ["get"]
    now[0] = 61.0
    store.get(name)
    assert calls == ["get", "get"]


def test_a_new_value_is_read_at_once_where_it_was_written(ssm):
    client, _ = ssm
    store = SecretStore(client, "/stack/channels")
    name = store.put("ops", "webhook_url", "https://one")
    store.get(name)
    store.put("ops", "webhook_url", "https://two")
    assert store.get(name) == "https://two"


def test_a_deleted_secret_is_not_found(ssm):
    client, _ = ssm
    store = SecretStore(client, "/stack/channels")
    name = store.put("ops", "url", "https://one")
    store.get(name)
    store.delete([name])
    with pytest.raises(NotFound):
        store.get(name)


def test_a_value_rotated_elsewhere_is_read_again_once_the_channels_generation_moves(ssm):
    """The notifier's store: another container (the API) rotated the webhook URL and bumped the
    channels' generation; the next batch uses the new URL, not a minute-old copy."""
    client, calls = ssm
    generation = [1]
    api = SecretStore(client, "/stack/channels")
    notifier = SecretStore(client, "/stack/channels", version=lambda: generation[0])
    name = api.put("ops", "webhook_url", "https://one")
    assert notifier.get(name) == "https://one"
    api.put("ops", "webhook_url", "https://two")
    assert notifier.get(name) == "https://one"  # same generation: cached
    generation[0] = 2
    assert notifier.get(name) == "https://two"
    assert calls == ["get", "get"]
