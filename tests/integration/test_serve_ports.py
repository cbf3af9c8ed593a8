"""`make serve` on a port something else listens on: one line naming the option to change, no
traceback, nothing started."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest


@pytest.mark.parametrize("option", ["--port", "--live-port"])
def test_serve_on_a_port_in_use_says_so_in_one_line_naming_the_option(option: str):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ports = {"--port": "0", "--live-port": "0", option: str(port)}
        result = subprocess.run(
            [sys.executable, "-m", "alerting_local.serve", *(part for pair in ports.items() for part in pair)],
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert (result.returncode, result.stdout) == (1, "")
    (line,) = result.stderr.splitlines()
    assert f"127.0.0.1:{port} is in use" in line
    assert f"choose another port with {option}," in line


def test_serve_refuses_a_port_out_of_range_naming_the_option():
    result = subprocess.run(
        [sys.executable, "-m", "alerting_local.serve", "--live-port", "70000"],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].endswith("argument --live-port: a port is 0 to 65535 (0: any free port)")
