"""A real browser on the local stack: the dashboard served as `make serve` serves it, and
headless Chromium (Debian's ``chromium``, driven by Playwright; no browser download)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from alerting_local import browser as chromium
from alerting_local.serve import Runtime, web_front
from alerting_local.stack import LocalStack


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[LocalStack, str]]:
    """The local stack with its web front (dashboard + API) on an ephemeral port."""
    with LocalStack(overrides={"LogLevel": "ERROR"}) as local, web_front(Runtime(local), quiet=True) as url:
        yield local, url


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
