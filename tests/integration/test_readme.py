"""The README's `make serve` walk-through, run as printed against the local stack.

Every shell command of the README's "Try it" section from `make serve` on is run by bash, in
order, against `make serve`'s stack started here on free ports (the README's ports and the
`<...>` values it asks for are put in as a reader would). The AWS CLI line runs as printed when
there is an `aws` on PATH, else its datapoint is put through boto3. The minute ticks are driven
here on a clock that follows them, so the README's "fires on the third tick after it" is a
count, not a wait. Nothing in the walk-through needs AWS; the Deploy section is not run.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from alerting.defaults import default_rules
from alerting.models.common import floor_minute, set_clock
from alerting.models.rules import Rule
from alerting_local.apigw import LOCAL_USER
from alerting_local.serve import Runtime, web_front
from alerting_local.stack import LocalStack

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text()
STATUS = "\nHTTP_STATUS "


def walkthrough(readme: str) -> list[str]:
    """The commands of the "Try it" section's bash blocks, from the one that runs `make serve`;
    a line ending in a backslash continues on the next."""
    section = readme.split("\n## Try it", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.S)
    start = next(i for i, block in enumerate(blocks) if "make serve" in block.splitlines())
    lines = "\n".join(blocks[start:]).replace("\\\n", " ").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


class Clock:
    """The handlers' clock: the wall clock until a tick moves it on, then the tick's minute."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def tick_at(self, minute: datetime) -> None:
        self.offset = max(self.offset, minute + timedelta(seconds=1) - datetime.now(UTC))


@dataclass
class Reader:
    """A reader at the second terminal: what `make serve` printed, and what they have seen."""

    local: LocalStack
    front: str  # http://127.0.0.1:<port>
    clock: Clock
    seen: dict[str, str] = field(default_factory=dict)  # <placeholder> → value
    fired_at_tick: int | None = None

    def fill(self, command: str) -> str:
        command = command.replace("http://127.0.0.1:3000", self.front).replace("127.0.0.1:3001", self.live)
        for name, value in self.seen.items():
            command = command.replace(f"<{name}>", value)
        unknown = re.findall(r"<[a-z_ ]+>", command)
        assert not unknown, f"the README asks for {unknown} before anything printed it: {command}"
        return command

    @property
    def live(self) -> str:
        return urlsplit(self.local.live.url).netloc

    def run(self, command: str) -> str:
        if command.startswith("curl "):
            return self.curl(command)
        if " aws " in f" {command} ":
            return self.aws(command)
        raise AssertionError(f"the walk-through has a command this test does not know: {command}")

    def curl(self, command: str) -> str:
        """As printed, with `-sS` and the status appended: a 2xx answer is the step working."""
        instrumented = "curl -sS -w " + shlex.quote(STATUS + "%{http_code}") + command.removeprefix("curl")
        done = subprocess.run(["bash", "-c", instrumented], cwd=ROOT, capture_output=True, text=True, timeout=60)
        body, _, status = done.stdout.rpartition(STATUS)
        assert done.returncode == 0 and status.startswith("2"), f"{command}\n-> {status}: {body}{done.stderr}"
        self.local.pump()  # the notifier and the broadcaster, as make serve's scheduler runs them
        return body

    def aws(self, command: str) -> str:
        """The AWS CLI line; then the minute ticks until the CPU rule fires."""
        assert "put-metric-data" in command, command
        if shutil.which("aws"):
            done = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
        else:  # the same datapoint, as the AWS CLI would send it
            args = dict(zip(*[iter(shlex.split(command.split(" aws ", 1)[1])[2:])] * 2, strict=False))
            name, value = args["--dimensions"].split("=")
            self.local.put_metric(args["--metric-name"], float(args["--value"]), datetime.now(UTC), {name: value})
        first = floor_minute(self.clock()) + timedelta(minutes=1)
        for tick in range(1, 5):
            minute = first + timedelta(minutes=tick - 1)
            self.clock.tick_at(minute)
            summary = self.local.tick(minute)
            self.local.pump()
            if summary["alerts_fired"]:
                self.fired_at_tick = tick
                break
        return ""

    def read(self, command: str, output: str) -> None:
        """What a reader takes from an answer for the steps after it."""
        if "/alerts?status=firing" in command:
            alerts = [a for a in json.loads(output)["items"] if a["rule_id"] == "high-cpu-usage"]
            self.seen["alert_id"] = alerts[0]["alert_id"]


@pytest.fixture
def reader() -> Iterator[Reader]:
    """`make serve`: the stack, its default rules and its web front, on free ports."""
    clock = Clock()
    set_clock(clock)
    try:
        with LocalStack(overrides={"LogLevel": "ERROR"}) as local:
            local.seed_default_rules()
            with web_front(Runtime(local), quiet=True) as url:
                reader = Reader(local, url.rstrip("/"), clock)
                reader.seen["slack_stand_in port"] = str(urlsplit(local.receiver.url("/")).port)
                reader.seen["aws_endpoint port"] = str(urlsplit(local.server.endpoint).port)
                yield reader
    finally:
        set_clock(None)


def test_the_readme_walkthrough_runs_as_printed_and_each_step_shows_its_result(reader: Reader):
    commands = walkthrough(README)
    assert commands[0] == "make serve"

    for command in commands[1:]:
        filled = reader.fill(command)
        reader.read(command, reader.run(filled))

    local = reader.local
    assert reader.fired_at_tick == 3  # "fires on the third tick after it"
    alert_id = reader.seen["alert_id"]
    _, alert = local.api("GET", f"/alerts/{alert_id}")
    assert (alert["status"], alert["acknowledged_by"]) == ("acknowledged", LOCAL_USER)  # who signed
    _, deliveries = local.api("GET", f"/alerts/{alert_id}/deliveries")
    sent = {(d["event"], d["channel_id"], d["status"]) for d in deliveries["items"]}
    assert {("firing", "ops", "delivered"), ("acknowledged", "ops", "delivered")} <= sent
    assert not any(status == "suppressed" for *_, status in sent)  # the example silence is another rule's
    slack = [r.json["text"] for r in local.receiver.received("/ops")]
    assert [text.split(" ", 1)[0] for text in slack] == ["[FIRING][HIGH]", "[ACKNOWLEDGED][HIGH]"]


def test_the_readmes_rule_file_is_the_default_cpu_rule_routed_to_ops():
    routed = Rule.model_validate(json.loads((ROOT / "events" / "high-cpu-usage.json").read_text()))
    (default,) = [r for r in default_rules("App/Service", {"Service": "web"}) if r.rule_id == "high-cpu-usage"]

    assert routed == default.model_copy(update={"channels": ["ops"]})


def test_the_walkthrough_is_found_in_the_readme():
    commands = walkthrough(README)

    assert [c.split()[0] for c in commands].count("curl") >= 10
    assert sum(" aws " in f" {c} " for c in commands) == 1
