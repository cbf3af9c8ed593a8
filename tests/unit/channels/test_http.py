"""The transport every HTTP channel shares: status classification, Retry-After, target checks."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ParamValidationError

from alerting.channels.failures import aws_error, parse_retry_after
from alerting.channels.http import HttpClient, HttpReply
from alerting.channels.targets import check_target, ensure_target, is_public
from alerting.errors import DeliveryError, InvalidInput
from alerting_local.receiver import Receiver, Reply

NOW = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)


def _post(http: HttpClient, receiver: Receiver, timeout: float = 2.0) -> HttpReply:
    return http.post_json(receiver.url("/hook"), b'{"a":1}', {"X-Test": "1"}, timeout, label="test hook")


def test_post_json_2xx_returns_response_with_body_and_headers_sent(receiver: Receiver, http: HttpClient) -> None:
    response = _post(http, receiver)

    assert response.status == 200
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
    receiver: Receiver, http: HttpClient, reply: Reply, retryable: bool, message: str
) -> None:
    # Given the endpoint answers an error
    receiver.script("/hook", reply)

    # When posting
    with pytest.raises(DeliveryError) as caught:
        _post(http, receiver)

    # Then the error says whether a retry helps, and carries the status but not the URL
    assert (str(caught.value), caught.value.retryable, caught.value.status_code) == (
        message,
        retryable,
        reply.status,
    )


def test_post_json_429_carries_retry_after_seconds(receiver: Receiver, http: HttpClient) -> None:
    receiver.script("/hook", Reply.rate_limited("7"))

    with pytest.raises(DeliveryError) as caught:
        _post(http, receiver)

    assert caught.value.retry_after == 7.0


def test_post_json_hung_server_times_out_retryable(receiver: Receiver, http: HttpClient) -> None:
    receiver.script("/hook", Reply.hang())

    with pytest.raises(DeliveryError) as caught:
        _post(http, receiver, timeout=0.3)

    assert (str(caught.value), caught.value.retryable) == ("test hook timed out after 0.3s", True)


def test_post_json_connection_refused_is_retryable(http: HttpClient) -> None:
    # Given a port nobody listens on (the receiver is stopped)
    with Receiver() as gone:
        url = gone.url("/hook")

    with pytest.raises(DeliveryError) as caught:
        http.post_json(url, b"{}", {}, 1.0, label="test hook")

    assert (str(caught.value), caught.value.retryable) == ("test hook request failed (ConnectionRefusedError)", True)


def test_post_json_malformed_url_is_permanent(http: HttpClient) -> None:
    with pytest.raises(DeliveryError) as caught:
        http.post_json("http://exa mple.com:99999/x", b"{}", {}, 1.0, label="test hook")

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


# --- bounded exchanges: a total deadline, a capped read, the vetted address pinned -------------


def _read_request(conn: socket.socket) -> bytes:
    """The whole request, body included: answering early and closing with unread bytes would
    reset the connection under the client (http.client sends headers and body apart)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")),
        0,
    )
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


@contextlib.contextmanager
def _raw_server(answer: Callable[[socket.socket], None]) -> Iterator[str]:
    """A one-connection server on 127.0.0.1 that reads the request, then runs ``answer``."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        with conn, contextlib.suppress(OSError):  # the client hanging up ends the answer
            _read_request(conn)
            answer(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    finally:
        thread.join(timeout=10)
        listener.close()


def test_post_json_trickling_server_is_cut_at_the_total_deadline(http: HttpClient) -> None:
    # Given a server that sends its status line one byte every 50 ms: each read is well within
    # a 0.5 s socket timeout, the whole answer takes 2 s
    def trickle(conn: socket.socket) -> None:
        for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok":
            conn.sendall(bytes([byte]))
            time.sleep(0.05)

    with _raw_server(trickle) as url, pytest.raises(DeliveryError) as caught:
        http.post_json(url, b"{}", {}, 0.5, label="test hook")

    # Then the request ends at the deadline instead, as a retryable timeout
    assert (str(caught.value), caught.value.retryable) == ("test hook timed out after 0.5s", True)


def test_post_json_huge_error_body_reads_only_the_cap(http: HttpClient) -> None:
    # Given a server answering 500 with a 200 MB body
    written = [0]

    def flood(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 500 Oops\r\nContent-Length: 200000000\r\n\r\n")
        chunk = b"x" * 65536
        for _ in range(200_000_000 // len(chunk)):
            conn.sendall(chunk)
            written[0] += len(chunk)

    small = HttpClient(allow_private=True, max_response_bytes=1024)
    with _raw_server(flood) as url, pytest.raises(DeliveryError) as caught:
        small.post_json(url, b"{}", {}, 5.0, label="test hook")

    # Then it is an ordinary 500, and the client hung up after 1 KB: the server could write no
    # more than the sockets' buffers hold
    assert (str(caught.value), caught.value.retryable) == ("test hook answered 500", True)
    assert written[0] < 20_000_000


def test_post_json_2xx_body_is_capped(receiver: Receiver) -> None:
    receiver.script("/hook", Reply(200, "y" * 100_000))

    reply = HttpClient(allow_private=True, max_response_bytes=512).post_json(
        receiver.url("/hook"), b"{}", {}, 2.0, label="test hook"
    )

    assert reply.body == b"y" * 512


def test_post_json_connects_to_the_vetted_address_without_resolving_again(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a name whose first answer is the receiver and every later answer elsewhere (rebinding)
    answers: list[str] = []
    port = int(receiver.url("/").rsplit(":", 1)[1].split("/")[0])

    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> Any:
        answers.append(host)
        address = "127.0.0.1" if len(answers) == 1 else "10.255.255.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    # When posting to it
    reply = HttpClient(allow_private=True).post_json(
        f"http://hooks.example.test:{port}/hook", b"{}", {}, 2.0, label="test hook"
    )

    # Then one lookup, the connection went to its answer, and the Host header names the host
    assert (reply.status, answers) == (200, ["hooks.example.test"])
    (request,) = receiver.received("/hook")
    assert request.headers["Host"] == f"hooks.example.test:{port}"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("10.0.0.1", False),
        ("::ffff:10.0.0.1", False),  # IPv4-mapped
        ("::ffff:93.184.216.34", True),
        ("::10.0.0.1", False),  # IPv4-compatible
        ("::93.184.216.34", False),  # IPv4-compatible: deprecated, never a real target
        ("64:ff9b::10.0.0.1", False),  # NAT64 of a private address
        ("64:ff9b::93.184.216.34", False),  # NAT64 at all: the gateway reaches anything
        ("64:ff9b:1::a00:1", False),  # local-use NAT64
        ("2002:a00:1::1", False),  # 6to4 of 10.0.0.1
        ("2002:a9fe:a9fe::1", False),  # 6to4 of 169.254.169.254
        ("2002:5db8:d822::1", True),  # 6to4 of 93.184.216.34
        ("2001:0:5db8:d822:0:f227:f5ff:fffe", False),  # Teredo, client 10.0.0.1 (obfuscated)
        ("2001:0:a00:1:0:f227:a247:2bdd", False),  # Teredo via server 10.0.0.1
        ("fe80::1%eth0", False),
        ("::1", False),
        ("ff02::1", False),
        # Python's `is_global` says True for each below (3.11 and 3.13 alike)
        ("::ffff:0:10.0.0.1", False),  # IPv4-translated (RFC 2765) of a private address
        ("::ffff:0:a9fe:a9fe", False),  # IPv4-translated of 169.254.169.254, in hex
        ("::ffff:0:93.184.216.34", False),  # IPv4-translated at all: never a real target
        ("fec0::1", False),  # site-local (deprecated, still routed inside some sites)
        ("feff:ffff::1", False),  # the end of fec0::/10
        ("fec0::1%eth0", False),
        ("5f00::1", False),  # SRv6 segment id
        ("3fff::1", False),  # documentation (RFC 9637)
        ("fe00::1", False),  # unassigned (only 2000::/3 is global unicast)
        ("4000::1", False),
        ("2001:4860:4860::8888", True),
    ],
)
def test_is_public_unwraps_every_ipv4_carrying_form(address: str, public: bool) -> None:
    assert is_public(address) is public


NOT_PUBLIC_V4 = ("10.0.0.1", "127.0.0.1", "169.254.169.254", "172.16.0.1", "192.168.1.1", "100.64.0.1", "0.0.0.0")
PUBLIC_V4 = "93.184.216.34"


def _wrapped(v4: str) -> dict[str, ipaddress.IPv6Address]:
    """``v4`` in every IPv6 form that carries an IPv4 address."""
    n = int(ipaddress.IPv4Address(v4))
    public = int(ipaddress.IPv4Address(PUBLIC_V4))
    forms = {
        "mapped": (0xFFFF << 32) | n,  # ::ffff:a.b.c.d
        "translated": (0xFFFF << 48) | n,  # ::ffff:0:a.b.c.d
        "compatible": n,  # ::a.b.c.d
        "nat64": int(ipaddress.IPv6Address("64:ff9b::")) | n,
        "local-nat64": int(ipaddress.IPv6Address("64:ff9b:1::")) | n,
        "6to4": (0x2002 << 112) | (n << 80) | 1,
        "teredo-client": (0x20010000 << 96) | (public << 64) | (n ^ 0xFFFFFFFF),  # client obfuscated
        "teredo-server": (0x20010000 << 96) | (n << 64) | (public ^ 0xFFFFFFFF),
    }
    return {name: ipaddress.IPv6Address(value) for name, value in forms.items()}


@pytest.mark.parametrize("v4", NOT_PUBLIC_V4)
def test_is_public_refuses_a_non_public_ipv4_address_in_every_ipv6_form(v4: str) -> None:
    # Python reads the forms it knows the same way we do (the table is what it unwraps)
    forms = _wrapped(v4)
    assert forms["mapped"].ipv4_mapped == forms["6to4"].sixtofour == ipaddress.IPv4Address(v4)
    assert forms["teredo-client"].teredo == (ipaddress.IPv4Address(PUBLIC_V4), ipaddress.IPv4Address(v4))

    assert {name: is_public(str(ip)) for name, ip in forms.items()} == dict.fromkeys(forms, False)


def test_is_public_admits_a_public_ipv4_address_only_in_forms_that_route_to_it() -> None:
    public = {name: is_public(str(ip)) for name, ip in _wrapped(PUBLIC_V4).items()}

    assert [name for name, yes in public.items() if yes] == ["mapped", "6to4", "teredo-client", "teredo-server"]


def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for ``name`` (its own CA), as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime(2026, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2036, 1, 1, tzinfo=UTC))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


@pytest.mark.parametrize(("certified", "delivered"), [("hooks.example.test", True), ("other.example.test", False)])
def test_post_json_https_to_the_pinned_address_verifies_the_hosts_certificate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, certified: str, delivered: bool
) -> None:
    # Given a TLS server on 127.0.0.1 with a certificate for `certified`, and DNS sending
    # hooks.example.test there
    cert_file, key_file = _certificate(tmp_path, certified)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert_file, key_file)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    seen: list[bytes] = []

    def serve() -> None:
        conn, _ = listener.accept()
        with conn, contextlib.suppress(OSError), server_tls.wrap_socket(conn, server_side=True) as tls:
            seen.append(_read_request(tls))
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    _fake_dns(monkeypatch, {"hooks.example.test": "127.0.0.1"})
    client = HttpClient(allow_private=True, tls=ssl.create_default_context(cafile=str(cert_file)))

    # When posting over https
    def post() -> HttpReply:
        return client.post_json(f"https://hooks.example.test:{port}/hook", b"{}", {}, 2.0, label="test hook")

    # Then the certificate is checked against the host name, not the pinned address
    if delivered:
        assert post().status == 200
        assert seen[0].startswith(b"POST /hook HTTP/1.1\r\n")
        assert f"Host: hooks.example.test:{port}".encode() in seen[0]
    else:
        with pytest.raises(DeliveryError, match="request failed"):
            post()
    thread.join(timeout=5)
    listener.close()
