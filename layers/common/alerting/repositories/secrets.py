"""Channel secrets (webhook URLs, HMAC keys) in SSM Parameter Store as SecureString.

Items in DynamoDB hold only the parameter name (``secret_refs``); values are read when a
message is sent and are never returned by the API, logged, or put in an error message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any

from botocore.exceptions import ClientError

from alerting.errors import NotFound
from alerting.repositories.dynamo import error_code


class SecretStore:
    """`max_age` caches values read per container: SSM answers 40 reads a second by default, and
    a burst of alerts to one channel would otherwise read its webhook URL once per message.
    ``version`` (the channels' write generation, in the notifier) drops every cached value when
    it moves: a rotated webhook URL is used from the next batch on."""

    def __init__(
        self,
        client: Any,
        prefix: str,
        *,
        max_age: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        version: Callable[[], Hashable] = lambda: None,
    ) -> None:
        self._client = client
        self._prefix = prefix.rstrip("/")
        self._max_age = max_age
        self._clock = clock
        self._version = version
        self._cache: dict[str, tuple[float, str]] = {}
        self._cached_at_version: Hashable = version()

    def name_for(self, channel_id: str, field: str) -> str:
        return f"{self._prefix}/{channel_id}/{field}"

    def put(self, channel_id: str, field: str, value: str) -> str:
        name = self.name_for(channel_id, field)
        self._client.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
        self._cache.pop(name, None)
        return name

    def get(self, name: str) -> str:
        if (current := self._version()) != self._cached_at_version:
            self._cache, self._cached_at_version = {}, current
        cached = self._cache.get(name)
        if cached is not None and self._clock() - cached[0] < self._max_age:
            return cached[1]
        try:
            response = self._client.get_parameter(Name=name, WithDecryption=True)
        except ClientError as exc:
            if error_code(exc) == "ParameterNotFound":
                raise NotFound("secret", name) from None
            raise
        value = str(response["Parameter"]["Value"])
        self._cache[name] = (self._clock(), value)
        return value

    def resolve(self, refs: dict[str, str]) -> dict[str, str]:
        """{field: parameter name} → {field: value}."""
        return {field: self.get(name) for field, name in refs.items()}

    def delete(self, names: list[str]) -> None:
        for name in names:
            self._cache.pop(name, None)
            try:
                self._client.delete_parameter(Name=name)
            except ClientError as exc:
                if error_code(exc) != "ParameterNotFound":
                    raise
