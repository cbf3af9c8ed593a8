"""A real browser on the local stack: the dashboard served as `make serve` serves it, and
headless Chromium (Debian's ``chromium``, driven by Playwright; no browser download)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

from alerting_local import browser as chromium
from alerting_local.serve import Runtime, handler_for
from alerting_local.stack import LocalStack


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[LocalStack, str]]:
    """The local stack with its web front (dashboard + API) on an ephemeral port."""
    with LocalStack(overrides={"LogLevel": "ERROR"}) as local:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(Runtime(local), quiet=True))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield local, f"http://127.0.0.1:{server.server_address[1]}/"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not chromium.available():
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(f"{chromium.CHROMIUM} is not installed (apt-get install -y chromium)")
        pytest.skip(f"{chromium.CHROMIUM} is not installed (apt-get install -y chromium); CI installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = chromium.launch(playwright)
        try:
            yield launched
        finally:
            launched.close()
