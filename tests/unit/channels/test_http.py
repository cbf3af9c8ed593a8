"""The transport every HTTP channel shares: status classification, Retry-After, target checks."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError, EndpointConnectionError, ParamValidationError

from alerting.channels.http import aws_error, check_target, ensure_target, parse_retry_after, post_json
from alerting.errors import DeliveryError, InvalidInput
from alerting_local.receiver import Receiver, Reply

NOW = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)


def _post(session: requests.Session, receiver: Receiver, timeout: float = 2.0) -> requests.Response:
    return post_json(session, receiver.url("/hook"), b'{"a":1}', {"X-Test": "1"}, timeout, label="test hook")


def test_post_json_2xx_returns_response_with_body_and_headers_sent(
    receiver: Receiver, session: requests.Session
) -> None:
    response = _post(session, receiver)

    assert response.status_code == 200
    (request,) = receiver.received("/hook")
    assert request.method == "POST"
    assert request.json == {"a": 1}
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Test"] == "1"
    assert request.headers["User-Agent"].startswith("serverless-alerting/")


@pytest.mark.parametrize(
    ("reply", "retryable", "message"),
    [
        (Reply.rate_limited("7"), True, "test hook answered 429 (rate limited)"),
        (Reply.server_error(), True, "test hook answered 500 (rollup_error)"),
        (Reply(503, "<html>busy</html>"), True, "test hook answered 503"),
        (Reply.bad_request(), False, "test hook answered 400 (invalid_payload)"),
        (Reply(404, "no_service"), False, "test hook answered 404 (no_service)"),
        (Reply(302, "", {"Location": "http://10.0.0.1/"}), False, "test hook answered 302"),
    ],
)
def test_post_json_error_status_is_classified(
    receiver: Receiver, session: requests.Session, reply: Reply, retryable: bool, message: str
) -> None:
    # Given the endpoint answers an error
    receiver.script("/hook", reply)

    # When posting
    with pytest.raises(DeliveryError) as caught:
        _post(session, receiver)

    # Then the error says whether a retry helps, and carries the status but not the URL
    assert (str(caught.value), caught.value.retryable, caught.value.status_code) == (
        message,
        retryable,
        reply.status,
    )


def test_post_json_429_carries_retry_after_seconds(receiver: Receiver, session: requests.Session) -> None:
    receiver.script("/hook", Reply.rate_limited("7"))

    with pytest.raises(DeliveryError) as caught:
        _post(session, receiver)

    assert caught.value.retry_after == 7.0


def test_post_json_hung_server_times_out_retryable(receiver: Receiver, session: requests.Session) -> None:
    receiver.script("/hook", Reply.hang())

    with pytest.raises(DeliveryError) as caught:
        _post(session, receiver, timeout=0.3)

    assert (str(caught.value), caught.value.retryable) == ("test hook timed out after 0.3s", True)


def test_post_json_connection_refused_is_retryable(session: requests.Session) -> None:
    # Given a port nobody listens on (the receiver is stopped)
    with Receiver() as gone:
        url = gone.url("/hook")

    with pytest.raises(DeliveryError) as caught:
        post_json(session, url, b"{}", {}, 1.0, label="test hook")

    assert (str(caught.value), caught.value.retryable) == ("test hook request failed (ConnectionError)", True)


def test_post_json_malformed_url_is_permanent(session: requests.Session) -> None:
    with pytest.raises(DeliveryError) as caught:
        post_json(session, "http://exa mple.com:99999/x", b"{}", {}, 1.0, label="test hook")

    assert caught.value.retryable is False
    assert "exa mple" not in str(caught.value)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("Thu, 26 Nov 2026 16:00:30 GMT", 30.0),
        ("Thu, 26 Nov 2026 15:59:00 GMT", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("inf", None),
    ],
)
def test_parse_retry_after_seconds_or_http_date(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, NOW) == expected


def _fake_dns(monkeypatch: pytest.MonkeyPatch, addresses: dict[str, str]) -> None:
    """Name resolution without a network: known names resolve, others fail like NXDOMAIN."""
    real = socket.getaddrinfo

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in addresses:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (addresses[host], port))]
        with contextlib.suppress(ValueError):
            ipaddress.ip_address(host)  # a literal address needs no lookup
            return real(host, port, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/services/x",
        "https://93.184.216.34:8443/hook",
    ],
)
def test_check_target_public_https_passes(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    _fake_dns(monkeypatch, {"hooks.example.com": "93.184.216.34"})

    check_target(url, allow_private=False)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://hooks.example.com/x", "must be an https URL"),
        ("ftp://hooks.example.com/x", "must be an https URL"),
        ("https:///x", "has no host"),
        ("https://hooks.example.com:99999/x", "is not a valid URL"),
        ("https://127.0.0.1/x", "host resolves to a private, loopback, link-local or reserved address"),
        ("https://10.1.2.3/x", "host resolves to a private, loopback, link-local or reserved address"),
        (
            "https://169.254.169.254/latest",
            "host resolves to a private, loopback, link-local or reserved address",
        ),
        ("https://[::1]/x", "host resolves to a private, loopback, link-local or reserved address"),
        (
            "https://[::ffff:10.0.0.1]/x",
            "host resolves to a private, loopback, link-local or reserved address",
        ),
        (
            "https://internal.example.com/x",
            "host resolves to a private, loopback, link-local or reserved address",
        ),
        ("https://nowhere.invalid/x", "host does not resolve"),
    ],
)
def test_check_target_rejects_unless_public_https(monkeypatch: pytest.MonkeyPatch, url: str, problem: str) -> None:
    # Given a name that points into the private network
    _fake_dns(monkeypatch, {"hooks.example.com": "93.184.216.34", "internal.example.com": "192.168.1.10"})

    with pytest.raises(InvalidInput) as caught:
        check_target(url, allow_private=False, field="webhook_url")

    assert (caught.value.field, caught.value.message) == ("webhook_url", problem)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/hook", "https://10.1.2.3/x", "http://169.254.169.254/", "http://localhost/"],
)
def test_check_target_allow_private_admits_http_and_private_hosts(url: str) -> None:
    check_target(url, allow_private=True)


def test_check_target_allow_private_still_requires_http(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InvalidInput, match="must be an http"):
        check_target("file:///etc/passwd", allow_private=True)


def test_ensure_target_private_host_is_permanent_delivery_error() -> None:
    with pytest.raises(DeliveryError) as caught:
        ensure_target("https://10.0.0.1/secret-path", allow_private=False, label="webhook")

    assert (str(caught.value), caught.value.retryable) == (
        "webhook target rejected: host resolves to a private, loopback, link-local or reserved address",
        False,
    )


def test_ensure_target_temporary_dns_failure_is_retryable(monkeypatch: pytest.MonkeyPatch) -> None:
    def getaddrinfo(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    with pytest.raises(DeliveryError) as caught:
        ensure_target("https://hooks.example.com/x", allow_private=False, label="webhook")

    assert caught.value.retryable is True


def _client_error(code: str, status: int) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": "details"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "SendEmail")


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (_client_error("Throttling", 400), True),
        (_client_error("ThrottlingException", 400), True),
        (_client_error("ServiceUnavailable", 503), True),
        (_client_error("InternalFailure", 500), True),
        (_client_error("SomethingNew", 502), True),
        (_client_error("MessageRejected", 400), False),
        (_client_error("MailFromDomainNotVerified", 400), False),
        (_client_error("InvalidParameterValue", 400), False),
        (_client_error("NotFound", 404), False),
        (_client_error("AuthorizationError", 403), False),
        (EndpointConnectionError(endpoint_url="https://sns.us-east-1.amazonaws.com"), True),
        (ParamValidationError(report="missing TopicArn"), False),
    ],
)
def test_aws_error_classifies_by_code_and_status(error: Any, retryable: bool) -> None:
    assert aws_error("ses send_email", error).retryable is retryable


def test_aws_error_message_names_code_and_aws_message() -> None:
    error = aws_error("ses send_email", _client_error("MessageRejected", 400))

    assert (str(error), error.status_code) == ("ses send_email failed: MessageRejected: details", 400)
