"""Generic HTTPS webhook: the versioned JSON document (``alerting.payload``), HMAC-signed.

The document is the contract with the receiver, so a webhook ignores the channel's
``MessageTemplate``. Headers: ``X-Alerting-Delivery`` (stable across retries, for the
receiver's dedup), ``X-Alerting-Event``, and with a secret ``X-Signature: sha256=<hex>``, the
HMAC-SHA256 of the exact body bytes under the secret.
"""

from __future__ import annotations

import hashlib
import hmac

from alerting.channels.base import GroupMessage, Message, Receipt
from alerting.channels.http import HttpClient
from alerting.channels.render import document_json, group_json
from alerting.models.common import AlertEvent

LABEL = "webhook"


class WebhookSender:
    def __init__(self, http: HttpClient, url: str, *, secret: str | None, timeout: float) -> None:
        self._http = http
        self._url = url
        self._secret = secret
        self._timeout = timeout

    def send(self, message: Message) -> Receipt:
        return self._post(document_json(message).encode(), message.delivery_id, message.event)

    def send_group(self, group: GroupMessage) -> Receipt:
        """One document with every alert in `alerts`, signed like a single one."""
        return self._post(group_json(group).encode(), group.group_id, group.event)

    def _post(self, body: bytes, delivery_id: str, event: AlertEvent) -> Receipt:
        headers = {"X-Alerting-Delivery": delivery_id, "X-Alerting-Event": event.value}
        if self._secret:
            headers["X-Signature"] = signature(self._secret, body)
        response = self._http.post_json(self._url, body, headers, self._timeout, label=LABEL)
        return Receipt(http_status=response.status)


def signature(secret: str, body: bytes) -> str:
    """What a receiver recomputes and compares (with ``hmac.compare_digest``)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
