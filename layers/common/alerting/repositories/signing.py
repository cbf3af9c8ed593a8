"""The stack's signing secret (Secrets Manager; the template generates it at deploy time): the
key of the acknowledge links' HMAC (`alerting.ack_links`). Read once per container and again
after ``max_age``, so a rotated secret is used within minutes; never logged, never in an error."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from alerting.errors import NotFound
from alerting.repositories.dynamo import error_code


class SigningSecret:
    def __init__(
        self, client: Any, secret_id: str, *, max_age: float = 300.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._secret_id = secret_id
        self._max_age = max_age
        self._clock = clock
        self._read: tuple[float, bytes] | None = None

    def __call__(self) -> bytes:
        if self._read is not None and self._clock() - self._read[0] < self._max_age:
            return self._read[1]
        try:
            response = self._client.get_secret_value(SecretId=self._secret_id)
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                raise NotFound("signing secret", self._secret_id) from None
            raise
        value = str(response["SecretString"]).encode()
        self._read = (self._clock(), value)
        return value
