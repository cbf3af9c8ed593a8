"""`make serve`: the local stack kept running, the dashboard and the API on http://127.0.0.1:3000,
the live stream on ws://127.0.0.1:3001/live, ticking in real time.

    open http://127.0.0.1:3000/
    curl http://127.0.0.1:3000/alerts
    curl -H "Authorization: Bearer <key>" http://127.0.0.1:3000/...   (the ingest API, an integration's key)
    curl -X POST http://127.0.0.1:3000/rules -d @rule.json
    AWS_ENDPOINT_URL=<printed> aws cloudwatch put-metric-data ...   (feed metrics to moto)
    AWS_ENDPOINT_URL=<printed> aws cloudwatch set-alarm-state ...   (an alarm's state change: its alert)

The evaluator runs at the top of every minute on its scheduled event; the alerts stream goes
to the live broadcaster four times a second (as Lambda polls a stream shard) and to the
notifier every couple of seconds. Ctrl-C stops everything cleanly.

The ingest API shares the port (§16): its protocols' paths go to its function, as they would on
its own API; `/ingest/...` is the ingest API with that prefix taken off (its `/ingest/openapi.json`).

Both servers answer only their own pages and clients that send no `Origin` (curl, the SDKs):
`alerting_local.loopback`. The web front alone serves ``GET /local/inbox``: what the local
stand-ins received (`alerting_local.inbox`); the API Lambda has no such route.
"""

from __future__ import annotations

import argparse
import base64
import errno
import json
import logging
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from alerting_local import inbox, roles
from alerting_local.apigw import proxy_event
from alerting_local.lambda_runtime import LambdaContext
from alerting_local.loopback import LoopbackHandler, loopback_origins
from alerting_local.stack import LocalStack
from ingest import api as ingest_api

LIVE_POLL_SECONDS = 0.25
PUMP_SECONDS = 2.0
MAX_BODY = 10 * 1024 * 1024
LOCAL_ROUTES = {"/local/inbox": "GET"}  # served by this front, never by the API Lambda
INGEST_BASE = "/ingest"  # the ingest API's base URL on this port, where its paths are ambiguous


def function_for(path: str) -> tuple[str, str]:
    """Which function answers ``path`` on this one port, and the path it is handed: the ingest
    API's protocols keep theirs (they do not collide with the API's), `/ingest/...` is the
    ingest API with that prefix taken off, anything else is the API's."""
    if path == INGEST_BASE or path.startswith(INGEST_BASE + "/"):
        return "IngestApiFunction", path[len(INGEST_BASE) :] or "/"
    if ingest_api.app.protocol_of(path) is not None:
        return "IngestApiFunction", path
    return "ApiFunction", path


class Runtime:
    """The API as API Gateway invokes it, and the clock: ticks and stream polling."""

    def __init__(self, local: LocalStack, role: str | None = None) -> None:
        self.local = local
        self.role = role  # the dashboard role of requests without an X-Local-Role header (None: the local IAM user)
        self.stopping = threading.Event()

    def api(self, method: str, target: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
        parts = urlsplit(target)
        function, path = function_for(parts.path or "/")
        event = proxy_event(method, path, body=None, query=parts.query or None, headers=headers)
        if body:  # as API Gateway passes a body it cannot pass as text: base64, flagged
            try:
                event["body"] = body.decode("utf-8")
            except UnicodeDecodeError:
                event.update(body=base64.b64encode(body).decode(), isBase64Encoded=True)
        refused = roles.sign_in(event, roles.role_in(headers) or self.role) if function == "ApiFunction" else None
        if refused is not None:
            return refused
        response: dict[str, Any] = self.local.handler(function)(event, LambdaContext(function))
        return response

    def scheduler(self) -> None:
        """Tick at the top of each minute; feed the stream's consumers in between."""
        last_minute, last_pump = None, 0.0
        while not self.stopping.wait(LIVE_POLL_SECONDS):
            now = datetime.now(UTC).replace(second=0, microsecond=0)
            if now != last_minute:
                last_minute = now
                summary = self.local.tick(now)
                print(
                    f"[{now:%H:%M}] tick: {summary['rules_evaluated']} rules, {summary['breaches']} breaching, "
                    f"{summary['alerts_fired']} fired, {summary['alerts_resolved']} resolved"
                    + (f", {summary['shards']} shards" if summary.get("shards") else ""),
                    flush=True,
                )
            self.local.pump_live()
            if time.monotonic() - last_pump >= PUMP_SECONDS:
                last_pump = time.monotonic()
                for answer in self.local.pump():
                    failures = answer.get("batchItemFailures", [])
                    if failures:
                        print(f"  notifier: {len(failures)} record(s) to retry", flush=True)


def handler_for(runtime: Runtime, quiet: bool = False) -> type[BaseHTTPRequestHandler]:
    class Handler(LoopbackHandler):
        methods = ("GET", "POST", "PUT", "DELETE")

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            if parts.path.startswith("/local/"):
                self._local(parts.path, parts.query)
                return
            body = self._body()
            if body is None:
                return
            headers = dict(self.headers.items())
            if headers.get("Content-Type") == "application/x-www-form-urlencoded":
                headers["Content-Type"] = "application/json"  # curl -d's default; the API speaks JSON only
            response = runtime.api(self.command, self.path, body, headers)
            payload = (response.get("body") or "").encode()
            self.send_response(int(response["statusCode"]))
            for name, value in (response.get("headers") or {}).items():
                self.send_header(name, value)
            for name, values in (response.get("multiValueHeaders") or {}).items():
                for value in values:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def _local(self, path: str, query: str) -> None:
            """The front's own routes: the inbox."""
            method = LOCAL_ROUTES.get(path)
            if method is None:
                self.reply_json(404, {"message": f"no such local route; there is {', '.join(LOCAL_ROUTES)}"})
            elif self.command != method:
                self.close_connection = True  # a body, if any, stays unread
                self.reply_json(405, {"message": f"{self.command} is not served here; use {method}"}, {"Allow": method})
            else:
                status, body = inbox.answer(runtime.local.inbox, query)
                self.reply_json(status, body, {"Cache-Control": "no-store"})

        def _body(self) -> bytes | None:
            """The request's body, or None once the client has been answered (4xx)."""
            length = self.headers.get("Content-Length") or "0"
            if not length.isascii() or not length.isdigit():
                self.send_error(400, "Content-Length must be a number of bytes")
                return None
            if int(length) > MAX_BODY:  # API Gateway's payload limit
                self.send_error(413, f"a body is at most {MAX_BODY} bytes")
                return None
            try:
                return self.rfile.read(int(length))
            except TimeoutError:
                self.send_error(408, f"the body did not arrive within {self.timeout:g} s")
                return None

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            path = getattr(self, "path", "")
            if not quiet and not path.startswith(("/ui/", "/local/")):  # the page's files and its inbox polls
                print(f"  api: {self.command} {path} -> {code}", flush=True)

    return Handler


def bind_front(runtime: Runtime, port: int = 0, quiet: bool = False) -> ThreadingHTTPServer:
    """The web front's socket on 127.0.0.1:`port` (0: any free port), bound but not serving yet."""
    server = ThreadingHTTPServer(("127.0.0.1", port), handler_for(runtime, quiet=quiet))
    # the dashboard's pages open the live stream: the hub lets this front's origin in
    runtime.local.live.page_origins |= loopback_origins(server.server_address[1])
    return server


@contextmanager
def web_front(
    runtime: Runtime, port: int = 0, quiet: bool = False, server: ThreadingHTTPServer | None = None
) -> Iterator[str]:
    """The dashboard and the API on 127.0.0.1:`port` (or on `server`, from `bind_front`), served
    in a thread; yields its URL (`make serve`, the dashboard's browser test and its benchmark).
    Messages sent meanwhile link here (an e-mail's acknowledge link opens on this front)."""
    server = server or bind_front(runtime, port, quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    runtime.local.link_to(url + INGEST_BASE.lstrip("/"))
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def put_metric_hint(local: LocalStack) -> str:
    """A line to paste: a CPU datapoint the default High CPU rule fires on, sent to moto. The
    first tick after it does not see it (a window ends `evaluation_delay_seconds`, a minute,
    before its tick); the next two breach (`breaches_to_fire: 2`): it fires on the third."""
    parameters = local.stack.parameters
    return (
        "Make the default High CPU rule fire (on the third tick after this line: 2 to 3 minutes):\n"
        f"  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --endpoint-url {local.server.endpoint} "
        f"--region {local.stack.region} cloudwatch put-metric-data --namespace {parameters['DefaultRulesNamespace']} "
        f"--metric-name CPUUtilization --dimensions {parameters['DefaultRulesDimensions']} --value 97"
    )


def port_number(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65_535:
        raise argparse.ArgumentTypeError("a port is 0 to 65535 (0: any free port)")
    return port


@contextmanager
def claiming(port: int, option: str) -> Iterator[None]:
    """A port that cannot be listened on ends `make serve` with one line naming its option."""
    try:
        yield
    except OSError as exc:
        why = "is in use (another make serve?)" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc.strerror})"
        raise SystemExit(
            f"make serve: 127.0.0.1:{port} {why}; choose another port with {option}, "
            'e.g. make serve ARGS="--port 3100 --live-port 3101"'
        ) from None


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="make serve ARGS=...", description="Run the local stack with the API and a real-time scheduler."
    )
    parser.add_argument("--port", type=port_number, default=3000, help="the dashboard and the API [3000]")
    parser.add_argument("--live-port", type=port_number, default=3001, help="the live stream (WebSocket) [3001]")
    parser.add_argument(
        "--role", choices=roles.ROLES, help="sign the dashboard's requests as a user of this role [the local IAM user]"
    )
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    # Both ports are bound before anything starts: a conflict is told at once, in one line.
    with claiming(args.live_port, "--live-port"):
        local = LocalStack(overrides={"LogLevel": "WARNING"}, live_port=args.live_port)
    runtime = Runtime(local, args.role)
    with claiming(args.port, "--port"):
        front = bind_front(runtime, args.port)
    print("Starting the local stack (moto, the template's resources, the default rules)...", flush=True)
    with local:
        local.seed_default_rules()
        with web_front(runtime, server=front) as url:
            scheduler = threading.Thread(target=runtime.scheduler, daemon=True)
            scheduler.start()
            announce(local, urlsplit(url).port or args.port)
            stop = threading.Event()
            for signum in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C (once or twice) stops cleanly
                signal.signal(signum, lambda *_: stop.set())
            stop.wait()
            runtime.stopping.set()
            scheduler.join(timeout=10)
        print("stopped", flush=True)


def announce(local: LocalStack, port: int) -> None:
    """Where everything is, and a line that makes a default rule fire."""
    print(
        json.dumps(
            {
                "dashboard": f"http://127.0.0.1:{port}/",
                "api": f"http://127.0.0.1:{port}",
                "ingest_api": f"http://127.0.0.1:{port}{INGEST_BASE}",
                "live": local.live.url,
                "region": local.stack.region,
                "aws_endpoint (moto)": local.server.endpoint,
                "slack_stand_in": local.receiver.url("/"),
                "inbox": f"http://127.0.0.1:{port}/local/inbox",
                "alerts_topic": local.stack.refs["AlertsTopic"],
                "config_table": local.stack.refs["ConfigTable"],
            },
            indent=2,
        )
    )
    print(f"Open http://127.0.0.1:{port}/ or try: curl http://127.0.0.1:{port}/alerts   (Ctrl-C stops)")
    print(put_metric_hint(local), flush=True)


if __name__ == "__main__":
    main()
