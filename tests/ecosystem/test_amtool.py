"""A real amtool (Debian's `prometheus-alertmanager`, 0.25) pointed at our Alertmanager API with
`--alertmanager.url` and an `--http.config.file` carrying an alertmanager integration's key:
`alert add`, `alert query`, `silence add`, `silence query`, `silence expire`, `silence import`
and `config routes`, each checked by what amtool prints and by what the main API then shows."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.ecosystem.conftest import Served
from tests.ecosystem.processes import binary, run

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class Amtool:
    def __init__(self, served: Served, workdir: Path) -> None:
        self.path = binary("amtool")
        self.served = served
        self.workdir = workdir
        _, key = served.integration("alertmanager", "amtool")
        (workdir / "http.yml").write_text(f'authorization:\n  type: Bearer\n  credentials: "{key}"\n')

    def __call__(self, *args: str) -> str:
        """amtool's stdout; it must succeed and print nothing on stderr (no version warning either)."""
        done = self.run(*args)
        assert (done.returncode, done.stderr) == (0, ""), done
        return done.stdout

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        flags = [f"--alertmanager.url={self.served.url}", "--http.config.file=http.yml"]
        return run([self.path, *flags, *args], self.workdir)


@pytest.fixture
def amtool(served: Served, workdir: Path) -> Amtool:
    return Amtool(served, workdir)


def rows(printed: str) -> list[list[str]]:
    """amtool's simple table: its lines split on runs of two or more spaces."""
    return [re.split(r"\s{2,}", line.strip()) for line in printed.strip().splitlines()]


def main_api_silences(served: Served) -> dict[str, dict[str, object]]:
    status, page = served.local.api("GET", "/silences", query={"limit": "100"})
    assert status == 200, page
    return {s["silence_id"]: s for s in page["items"]}


def test_alerts_added_and_queried(amtool: Amtool, served: Served) -> None:
    amtool("alert", "add", "DiskFull", "instance=db-1", "severity=warning", "--annotation=summary=disk 97% full")

    printed = rows(amtool("alert", "query", "alertname=DiskFull"))

    assert printed[0] == ["Alertname", "Starts At", "Summary", "State"]
    assert [(r[0], r[2], r[3]) for r in printed[1:]] == [("DiskFull", "disk 97% full", "active")]
    _, page = served.local.api("GET", "/alerts", query={"source": "prometheus", "status": "firing"})
    assert [a["labels"]["instance"] for a in page["items"] if a["rule_name"] == "DiskFull"] == ["db-1"]


def test_silences_added_queried_expired_and_imported(amtool: Amtool, served: Served) -> None:
    amtool("alert", "add", "Backup", "job=nightly", "--annotation=summary=backup late")

    # add: prints the new silence's id, which the main API shows
    silence_id = amtool("silence", "add", "alertname=Backup", "--author=alice", "--comment=moving the job").strip()
    assert UUID.match(silence_id), silence_id
    assert main_api_silences(served)[silence_id]["created_by"] == "alice"

    # query: the table, and the alert now silenced (left out of a plain alert query)
    printed = rows(amtool("silence", "query", "alertname=Backup"))
    assert printed[0] == ["ID", "Matchers", "Ends At", "Created By", "Comment"]
    assert [(r[0], r[1], r[3], r[4]) for r in printed[1:]] == [
        (silence_id, 'alertname="Backup"', "alice", "moving the job")
    ]
    assert rows(amtool("alert", "query", "alertname=Backup"))[1:] == []
    silenced = rows(amtool("alert", "query", "--silenced", "alertname=Backup"))
    assert [(r[0], r[3]) for r in silenced[1:]] == [("Backup", "suppressed")]
    exported = amtool("silence", "query", "-o", "json", "alertname=Backup")
    assert [s["id"] for s in json.loads(exported)] == [silence_id]

    # expire: gone from the query, shown among the expired, expired in the main API
    assert amtool("silence", "expire", silence_id) == ""
    assert rows(amtool("silence", "query", "alertname=Backup"))[1:] == []
    assert [r[0] for r in rows(amtool("silence", "query", "--expired", "alertname=Backup"))[1:]] == [silence_id]
    assert main_api_silences(served)[silence_id]["ends_at"] <= main_api_silences(served)[silence_id]["updated_at"]

    # import the export: its silence has expired, so (as in Alertmanager) it comes back under a new id
    (workdir := amtool.workdir / "silences.json").write_text(exported)
    (imported,) = amtool("silence", "import", str(workdir)).split()
    assert UUID.match(imported) and imported != silence_id
    assert [r[0] for r in rows(amtool("silence", "query", "alertname=Backup"))[1:]] == [imported]
    assert main_api_silences(served)[imported]["comment"] == "moving the job"


def test_a_silence_we_refuse_is_refused_with_alertmanagers_message(amtool: Amtool) -> None:
    done = amtool.run("silence", "add", "job=~.*", "--comment=would silence everything without a job")

    assert done.returncode != 0
    assert "400" in done.stderr and "at least one matcher must not match the empty string" in done.stderr


def test_the_routes_read_as_alertmanagers_configuration(amtool: Amtool, served: Served) -> None:
    route = {"route_id": "payments", "name": "payments", "matchers": [{"label": "team", "value": "payments"}]}
    status, created = served.local.api("POST", "/routes", {**route, "receiver": {"channels": []}})
    assert status == 201, created

    printed = amtool("config", "routes")

    assert printed.rstrip("\n").splitlines() == [
        "Routing tree:",
        ".",
        "└── default-route  receiver: stack-topic",
        '    └── {team="payments"}  receiver: payments',
    ]


def test_a_wrong_key_is_refused(amtool: Amtool) -> None:
    (amtool.workdir / "http.yml").write_text("authorization:\n  type: Bearer\n  credentials: ak_wrong\n")

    done = amtool.run("silence", "query")

    assert done.returncode != 0 and "401" in done.stderr
