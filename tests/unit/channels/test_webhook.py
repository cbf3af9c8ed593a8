"""Generic webhook: the versioned document, byte for byte, signed with HMAC-SHA256."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from alerting.channels.http import HttpClient
from alerting.channels.webhook import WebhookSender
from alerting.errors import DeliveryError
from alerting.models.channels import MessageTemplate
from alerting.payload import SCHEMA_VERSION, document
from alerting_local.receiver import Receiver, Reply
from tests.unit.channels.builders import HMAC_SECRET, WEBHOOK_PATH, make_alert, make_message, resolved


def _sender(
    http: HttpClient, receiver: Receiver, secret: str | None = HMAC_SECRET, timeout: float = 2.0
) -> WebhookSender:
    return WebhookSender(http, receiver.url(WEBHOOK_PATH), secret=secret, timeout=timeout)


def test_webhook_send_body_is_the_versioned_document_compact_and_sorted(receiver: Receiver, http: HttpClient) -> None:
    message = make_message(resolved(make_alert()))

    receipt = _sender(http, receiver).send(message)

    (request,) = receiver.received(WEBHOOK_PATH)
    expected = document(message.alert, message.event, message.delivery_id)
    assert request.body == json.dumps(expected, sort_keys=True, separators=(",", ":")).encode()
    assert request.json["schema_version"] == SCHEMA_VERSION
    assert (request.json["event"], request.json["alert"]["status"]) == ("resolved", "resolved")
    assert receipt.http_status == 200


def test_webhook_send_headers_name_delivery_and_event(receiver: Receiver, http: HttpClient) -> None:
    _sender(http, receiver).send(make_message())

    (request,) = receiver.received(WEBHOOK_PATH)
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Alerting-Delivery"] == "alert-1:1:ch-1"
    assert request.headers["X-Alerting-Event"] == "firing"


def test_webhook_send_signature_verifies_with_the_shared_secret(receiver: Receiver, http: HttpClient) -> None:
    _sender(http, receiver).send(make_message())

    # Then a receiver recomputing the HMAC over the raw body gets the same value
    (request,) = receiver.received(WEBHOOK_PATH)
    expected = "sha256=" + hmac.new(HMAC_SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["X-Signature"], expected)


def test_webhook_send_without_secret_sends_no_signature(receiver: Receiver, http: HttpClient) -> None:
    _sender(http, receiver, secret=None).send(make_message())

    (request,) = receiver.received(WEBHOOK_PATH)
    assert "X-Signature" not in request.headers


def test_webhook_send_ignores_message_template(receiver: Receiver, http: HttpClient) -> None:
    # Given a template, even a broken one
    message = make_message(template=MessageTemplate(subject="{{ x.y }}", body="custom"))

    receipt = _sender(http, receiver).send(message)

    # Then the document is sent unchanged and nothing is reported
    (request,) = receiver.received(WEBHOOK_PATH)
    assert request.json == document(message.alert, message.event, message.delivery_id)
    assert receipt.template_error is None


@pytest.mark.parametrize(
    ("reply", "retryable", "retry_after"),
    [
        (Reply.rate_limited("5"), True, 5.0),
        (Reply.server_error(), True, None),
        (Reply.bad_request(), False, None),
    ],
)
def test_webhook_send_error_answers_are_classified(
    receiver: Receiver, http: HttpClient, reply: Reply, retryable: bool, retry_after: float | None
) -> None:
    receiver.script(WEBHOOK_PATH, reply)

    with pytest.raises(DeliveryError) as caught:
        _sender(http, receiver).send(make_message())

    assert (caught.value.retryable, caught.value.retry_after) == (retryable, retry_after)


def test_webhook_send_hung_receiver_is_retryable_timeout(receiver: Receiver, http: HttpClient) -> None:
    receiver.script(WEBHOOK_PATH, Reply.hang())

    with pytest.raises(DeliveryError) as caught:
        _sender(http, receiver, timeout=0.3).send(make_message())

    assert (str(caught.value), caught.value.retryable) == ("webhook timed out after 0.3s", True)


def test_webhook_send_retry_after_then_success_delivers_same_body(receiver: Receiver, http: HttpClient) -> None:
    # Given the receiver is rate limited once, then accepts
    receiver.script(WEBHOOK_PATH, Reply.rate_limited("1"), Reply.ok())
    sender, message = _sender(http, receiver), make_message()

    # When the caller retries after the first failure
    with pytest.raises(DeliveryError):
        sender.send(message)
    sender.send(message)

    # Then both attempts carried identical bytes and signature (the receiver can dedup)
    first, second = receiver.received(WEBHOOK_PATH)
    assert first.body == second.body
    assert first.headers["X-Signature"] == second.headers["X-Signature"]
