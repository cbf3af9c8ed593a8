"""Channel secrets (webhook URLs, HMAC keys) in SSM Parameter Store as SecureString.

Items in DynamoDB hold only the parameter name (``secret_refs``); values are read when a
message is sent and are never returned by the API, logged, or put in an error message.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from alerting.errors import NotFound
from alerting.repositories.dynamo import error_code


class SecretStore:
    def __init__(self, client: Any, prefix: str) -> None:
        self._client = client
        self._prefix = prefix.rstrip("/")

    def name_for(self, channel_id: str, field: str) -> str:
        return f"{self._prefix}/{channel_id}/{field}"

    def put(self, channel_id: str, field: str, value: str) -> str:
        name = self.name_for(channel_id, field)
        self._client.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
        return name

    def get(self, name: str) -> str:
        try:
            response = self._client.get_parameter(Name=name, WithDecryption=True)
        except ClientError as exc:
            if error_code(exc) == "ParameterNotFound":
                raise NotFound("secret", name) from None
            raise
        return str(response["Parameter"]["Value"])

    def resolve(self, refs: dict[str, str]) -> dict[str, str]:
        """{field: parameter name} → {field: value}."""
        return {field: self.get(name) for field, name in refs.items()}

    def delete(self, names: list[str]) -> None:
        for name in names:
            try:
                self._client.delete_parameter(Name=name)
            except ClientError as exc:
                if error_code(exc) != "ParameterNotFound":
                    raise
