"""The WebSocket API on 127.0.0.1, as API Gateway runs it for the live view.

Browsers connect to ``ws://127.0.0.1:<port>/live?<filter>``; each connection's ``$connect``,
``$default`` messages and ``$disconnect`` invoke the real connections handler with the events
API Gateway sends (a non-2xx ``$connect`` refuses the handshake; a ``$default`` answer goes back
on the socket). The broadcaster's ``apigatewaymanagementapi`` client is pointed at
``http://127.0.0.1:<port>`` and posts to ``/@connections/<id>`` here: 410 GoneException for a
connection that has closed, as the real management API answers.

WebSocket framing (RFC 6455) is done here, with no dependency: text, ping/pong, close;
client frames are masked, server frames are not. API Gateway's limits hold: a frame of 32 KB,
a message of 128 KB (1009 past either), 10 minutes without a frame (1001). Only the web front's
pages and clients without ``Origin`` connect (``alerting_local.loopback``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BufferedIOBase
from socket import SHUT_WR
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from alerting_local.loopback import LoopbackHandler

HANDSHAKE_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# API Gateway's limits: a frame of 32 KB, a message of 128 KB, 10 minutes without a frame
MAX_FRAME, MAX_MESSAGE = 32 * 1024, 128 * 1024
IDLE_SECONDS = 600.0
LINGER_SECONDS = 2.0  # for the client's answer to a close
TEXT, CLOSE, PING, PONG, CONTINUATION = 0x1, 0x8, 0x9, 0xA, 0x0
GOING_AWAY, PROTOCOL_ERROR, TOO_BIG = 1001, 1002, 1009  # close codes (RFC 6455 §7.4.1)

Invoke = Callable[[dict[str, Any]], dict[str, Any]]


def frame(payload: bytes, opcode: int = TEXT) -> bytes:
    """A final, unmasked server frame."""
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x80 | opcode, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    return header + payload


class Refused(Exception):
    """A client frame the hub does not take: the connection closes with `code`."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason

    def close_payload(self) -> bytes:
        return struct.pack("!H", self.code) + self.reason.encode()[:123]


def read_message(stream: BufferedIOBase) -> tuple[int, bytes]:
    """The next whole message (fragments joined): (opcode, payload). EOFError when the peer is
    gone; Refused for a frame too big (before its payload is read) or unmasked (RFC 6455 §5.1)."""
    opcode: int | None = None
    parts: list[bytes] = []
    while True:
        head = _exactly(stream, 2)
        final, code = head[0] & 0x80, head[0] & 0x0F
        size = head[1] & 0x7F
        if size == 126:
            size = struct.unpack("!H", _exactly(stream, 2))[0]
        elif size == 127:
            size = struct.unpack("!Q", _exactly(stream, 8))[0]
        if not head[1] & 0x80:
            raise Refused(PROTOCOL_ERROR, "client frames must be masked")
        if size > MAX_FRAME or size + sum(len(p) for p in parts) > MAX_MESSAGE:
            raise Refused(TOO_BIG, f"a frame is at most {MAX_FRAME} bytes, a message {MAX_MESSAGE}")
        mask = _exactly(stream, 4)
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(_exactly(stream, size)))
        if code >= 0x8:  # a control frame (browsers send none between the fragments of a message)
            return code, data
        opcode = code if code != CONTINUATION else opcode
        parts.append(data)
        if final:
            return opcode or TEXT, b"".join(parts)


def _exactly(stream: BufferedIOBase, size: int) -> bytes:
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return data


class _Socket:
    def __init__(self, stream: BufferedIOBase) -> None:
        self._stream = stream
        self.lock = threading.Lock()
        self.closed = False

    def send(self, payload: bytes, opcode: int = TEXT) -> bool:
        with self.lock:
            if self.closed:
                return False
            try:
                self._stream.write(frame(payload, opcode))
                self._stream.flush()
            except OSError:
                self.closed = True
                return False
            return True


def ws_event(
    route: str, connection_id: str, *, query: dict[str, str] | None = None, body: str | None = None
) -> dict[str, Any]:
    """The event API Gateway sends a WebSocket route's Lambda integration."""
    event: dict[str, Any] = {
        "requestContext": {
            "routeKey": route,
            "eventType": {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route, "MESSAGE"),
            "connectionId": connection_id,
            "requestTimeEpoch": int(time.time() * 1000),
            "stage": "live",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "identity": {"sourceIp": "127.0.0.1", "userArn": "arn:aws:iam::123456789012:user/local"},
        },
        "isBase64Encoded": False,
    }
    if query is not None:
        event["queryStringParameters"] = query or None
    if body is not None:
        event["body"] = body
    return event


class LiveHub:
    """The local WebSocket API: ``invoke`` runs the connections handler on one event."""

    def __init__(
        self, invoke: Invoke, host: str = "127.0.0.1", port: int = 0, idle_seconds: float = IDLE_SECONDS
    ) -> None:
        self.invoke = invoke
        self.idle_seconds = idle_seconds
        self.sockets: dict[str, _Socket] = {}
        # Pages that may open the stream besides none (curl, the SDKs): the web front's
        self.page_origins: frozenset[str] = frozenset()
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """What a browser connects to."""
        return f"ws://127.0.0.1:{self.port}/live"

    @property
    def endpoint(self) -> str:
        """The management API's endpoint (the stage URL on AWS)."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        for socket in list(self.sockets.values()):
            socket.send(b"", CLOSE)
            socket.closed = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler_for(hub: LiveHub) -> type[BaseHTTPRequestHandler]:
    class Handler(LoopbackHandler):
        protocol_version = "HTTP/1.1"
        methods = ("GET", "POST", "DELETE")

        def allowed_origins(self) -> frozenset[str]:
            return super().allowed_origins() | hub.page_origins

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != "/live" or self.headers.get("Upgrade", "").lower() != "websocket":
                self.reply_json(404, {"message": "WebSocket connections only, at /live"})
                return
            connection_id = base64.b64encode(secrets.token_bytes(9)).decode()  # API Gateway's shape
            answer = hub.invoke(ws_event("$connect", connection_id, query=dict(parse_qsl(parts.query))))
            status = int(answer.get("statusCode", 200))
            if status >= 300:  # API Gateway refuses the handshake with the route's status
                self.reply_json(status, json.loads(answer.get("body") or "{}"))
                return
            key = self.headers.get("Sec-WebSocket-Key", "")
            accept = base64.b64encode(hashlib.sha1((key + HANDSHAKE_GUID).encode()).digest()).decode()
            socket = _Socket(self.wfile)
            with socket.lock:  # registered first, but no push is written before the handshake's answer
                hub.sockets[connection_id] = socket
                self.send_response(101, "Switching Protocols")
                self.send_header("Upgrade", "websocket")
                self.send_header("Connection", "Upgrade")
                self.send_header("Sec-WebSocket-Accept", accept)
                self.end_headers()
                self.wfile.flush()
            self.connection.settimeout(hub.idle_seconds)  # any frame, a ping too, restarts the wait
            try:
                self._converse(connection_id, socket)
            finally:
                hub.sockets.pop(connection_id, None)
                socket.closed = True
                hub.invoke(ws_event("$disconnect", connection_id))
                self.close_connection = True

        def _converse(self, connection_id: str, socket: _Socket) -> None:
            while not socket.closed:
                try:
                    opcode, payload = read_message(self.rfile)
                except Refused as refused:
                    self._close(socket, refused)
                    return
                except TimeoutError:  # as API Gateway closes an idle connection
                    self._close(socket, Refused(GOING_AWAY, "idle"))
                    return
                except (EOFError, OSError):
                    return
                if opcode == CLOSE:
                    socket.send(payload[:2], CLOSE)
                    return
                if opcode == PING:
                    socket.send(payload, PONG)
                elif opcode == TEXT:
                    answer = hub.invoke(ws_event("$default", connection_id, body=payload.decode("utf-8", "replace")))
                    if answer.get("body"):
                        socket.send(str(answer["body"]).encode())

        def _close(self, socket: _Socket, refused: Refused) -> None:
            """Send the close frame, then read (and drop) what the client still sends: closing
            a socket with unread bytes resets it, and the client would lose the close code."""
            socket.send(refused.close_payload(), CLOSE)
            with socket.lock:
                socket.closed = True
            try:
                self.connection.shutdown(SHUT_WR)
                self.connection.settimeout(LINGER_SECONDS)
                drained = 0
                while drained <= MAX_MESSAGE and (chunk := self.connection.recv(1 << 16)):
                    drained += len(chunk)
            except OSError:
                return

        def do_POST(self) -> None:
            """PostToConnection."""
            socket = self._addressed()
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if socket is None or not socket.send(data):
                self._gone()
                return
            self.reply_json(200, None)

        def do_DELETE(self) -> None:
            """DeleteConnection."""
            socket = self._addressed()
            if socket is None:
                self._gone()
                return
            socket.send(b"\x03\xe8", CLOSE)
            socket.closed = True
            self.reply_json(204, None)

        def _addressed(self) -> _Socket | None:
            path = urlsplit(self.path).path
            if not path.startswith("/@connections/"):
                return None
            return hub.sockets.get(unquote(path.removeprefix("/@connections/")))

        def _gone(self) -> None:
            self.reply_json(410, {"message": "the connection is gone"}, {"x-amzn-ErrorType": "GoneException"})

    return Handler
