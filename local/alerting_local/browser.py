"""Headless Chromium for the dashboard's test and benchmark: Debian's ``chromium`` driven by
Playwright (never ``playwright install``: the browser comes from the OS)."""

from __future__ import annotations

import os
import shutil
from typing import Any

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def available() -> bool:
    return shutil.which(CHROMIUM) is not None


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
