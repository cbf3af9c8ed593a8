"""The real clients of the ecosystem tests (Debian's `prometheus`, `prometheus-alertmanager`,
`amtool`), run as plain processes on loopback ports with their own temporary directories: never
as services. Shared by every ecosystem test.

A binary that is not installed skips its test with the `apt-get` line that installs it, unless
`REQUIRE_ECOSYSTEM=1` (CI sets it: `.ci/run` installs them), where it fails instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest

T = TypeVar("T")
PACKAGES = {
    "prometheus": "prometheus",
    "prometheus-alertmanager": "prometheus-alertmanager",
    "amtool": "prometheus-alertmanager",
}
STARTUP_SECONDS = 30.0


def binary(name: str) -> str:
    """The path of ``name``; skips the test when it is not installed (fails under REQUIRE_ECOSYSTEM=1)."""
    found = shutil.which(name)
    if found is None:
        reason = f"{name} is not installed (apt-get install -y {PACKAGES.get(name, name)}); CI installs it"
        if os.environ.get("REQUIRE_ECOSYSTEM") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def free_port() -> int:
    """A loopback port nothing listens on now (the OS's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(check: Callable[[], T], what: str, timeout: float = 30.0, interval: float = 0.2) -> T:
    """``check()``'s first truthy answer within ``timeout`` seconds; else an AssertionError saying
    ``what`` was awaited and the last answer."""
    deadline = time.monotonic() + timeout
    last: T = check()
    while not last:
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:g} s for {what}; last saw {last!r}")
        time.sleep(interval)
        last = check()
    return last


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@dataclass
class Running:
    """A client process: its arguments, its log (stdout and stderr), and how to signal it."""

    args: Sequence[str]
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def signal(self, number: int = signal.SIGHUP) -> None:
        """E.g. SIGHUP: Prometheus and Alertmanager reload their configuration files."""
        self.process.send_signal(number)

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise AssertionError(f"{self.args[0]} exited with {self.process.returncode}:\n{self.log()[-3000:]}")


@contextmanager
def running(args: Sequence[str], workdir: Path, ready: str | None = None) -> Iterator[Running]:
    """``args`` run in ``workdir`` (its log there too) until the block ends; ``ready``: a URL that
    answers 2xx once it serves. Stopped with SIGTERM, then SIGKILL after 10 s."""
    log_path = workdir / f"{Path(args[0]).name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(args, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    client = Running(args, process, log_path)
    try:
        if ready is not None:
            wait_until(lambda: client.check_alive() or http_ok(ready), f"{args[0]} to serve {ready}", STARTUP_SECONDS)
        yield client
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def run(
    args: Sequence[str], workdir: Path, stdin: str | None = None, timeout: float = 30.0
) -> subprocess.CompletedProcess[str]:
    """A command run to its end (amtool) in ``workdir``, which is also its HOME (no user's
    configuration is read): its exit status, stdout and stderr, as text."""
    env = {**os.environ, "HOME": str(workdir)}
    return subprocess.run(
        args, cwd=workdir, input=stdin, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
