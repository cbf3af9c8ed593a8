"""`alerting-rules backtest` (`make backtest`): through the API over HTTP (plan first, then the run),
an edited rules file against the saved rule, SigV4 for a deployed API, and a run on this machine
reading the config table and CloudWatch itself."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from alerting import backtest_cli
from alerting.cli import main
from alerting.kinds import RULE
from alerting.models.common import floor_minute, iso, utcnow
from alerting.models.rules import Rule
from alerting.repositories.config import ConfigRepository
from alerting.settings import ApiSettings
from alerting_local.apigw import proxy_event
from alerting_local.lambda_runtime import LambdaContext
from api import dependencies
from tests.factories import rule_data


@pytest.fixture
def start(aws):
    start = floor_minute(utcnow()) - timedelta(minutes=40)
    data = [
        {
            "MetricName": "CPUUtilization",
            "Dimensions": [{"Name": "Service", "Value": "web"}],
            "Timestamp": start + timedelta(minutes=m, seconds=10),
            "Value": 95.0 if 10 <= m < 20 else 40.0,
        }
        for m in range(-10, 40)
    ]
    for i in range(0, len(data), 20):
        aws.client("cloudwatch").put_metric_data(Namespace="App/Service", MetricData=data[i : i + 20])
    ConfigRepository(aws.client("dynamodb"), aws.env("ApiFunction")["CONFIG_TABLE"], RULE).create(
        Rule.model_validate(rule_data(rule_id="cpu", window_seconds=60, breaches_to_fire=2))
    )
    return start


@pytest.fixture
def api_url(aws) -> Iterator[str]:
    """The API handler behind HTTP on a free port, as API Gateway would call it."""
    from api.handler import handler

    services = dependencies.build(ApiSettings.from_env())

    class Front(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            event = proxy_event("POST", self.path, body=body, headers={"Content-Type": "application/json"})
            response = handler(event, LambdaContext("api"), services=services)
            self.send_response(response["statusCode"])
            self.end_headers()
            self.wfile.write(response["body"].encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Front)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def window(start) -> list[str]:
    return ["--start", iso(start), "--end", iso(start + timedelta(minutes=40))]


def test_backtest_through_the_api_prints_the_plan_then_the_alerts(api_url, start, capsys):
    assert main(["backtest", "cpu", *window(start), "--api", api_url]) == 0
    out, err = capsys.readouterr()
    assert err.splitlines()[0] == (
        "plan: 40 ticks x 1 series = 40 evaluations; 1 GetMetricData calls (1 metrics requested, $0.0000); "
        "exact (1-minute data)"
    )
    assert "  alerts: 1 (firing 9m, 0 flaps); notifications: 2 sent, 0 kept quiet" in out
    started, ended = (iso(start + timedelta(minutes=m)) for m in (13, 22))
    assert f"    Service=web: {started} -> {ended} (9m, peak 95), high" in out


def test_an_edited_rules_file_is_compared_with_the_saved_rule(api_url, start, tmp_path, capsys):
    path = tmp_path / "cpu.yaml"
    path.write_text(yaml.safe_dump(rule_data(rule_id="cpu", window_seconds=60, breaches_to_fire=1)))

    assert main(["backtest", "cpu", *window(start), "--api", api_url, "--file", str(path), "--json"]) == 0

    printed = capsys.readouterr().out.splitlines()
    result = json.loads("\n".join(line for line in printed if not line.startswith('{"_aws"')))  # the API's metrics
    assert (result["comparison"]["firing_seconds_before"], result["comparison"]["firing_seconds_after"]) == (540, 600)


def test_a_rule_over_the_apis_limit_is_refused_naming_it(api_url, start):
    with pytest.raises(SystemExit, match=r"400: .*the limit of one request is 200,000"):
        main(["backtest", "cpu", "--days", "400", "--api", api_url])  # 576,000 evaluations


def test_a_deployed_api_is_called_with_sigv4(monkeypatch):
    seen: list[Any] = []

    class Answer:
        def __enter__(self) -> Answer:
            return self

        def __exit__(self, *_: Any) -> None:
            pass

        def read(self) -> bytes:
            return b"{}"

    monkeypatch.setattr(
        backtest_cli.urllib.request, "urlopen", lambda request, timeout: seen.append(request) or Answer()
    )
    backtest_cli._post("https://abc123.execute-api.eu-west-1.amazonaws.com/v1/rules/cpu/backtest", {"start": "x"})
    authorization = seen[0].get_header("Authorization")
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=testing/")
    assert "/eu-west-1/execute-api/aws4_request" in authorization


def test_backtest_on_this_machine_reads_the_table_and_cloudwatch(aws, start, capsys):
    table = aws.env("ApiFunction")["CONFIG_TABLE"]
    assert main(["backtest", "cpu", *window(start), "--table", table, "--region", "us-east-1"]) == 0
    out, err = capsys.readouterr()
    assert "plan: 40 ticks x 1 series = 40 evaluations" in err
    assert "read 1 of 1 GetMetricData calls" in err and "replayed 100%" in err
    assert "  alerts: 1 (firing 9m, 0 flaps)" in out


def test_an_unknown_rule_on_this_machine_says_so(aws, capsys):
    table = aws.env("ApiFunction")["CONFIG_TABLE"]
    with pytest.raises(SystemExit, match="no rule 'nope'"):
        main(["backtest", "nope", "--days", "1", "--table", table, "--region", "us-east-1"])


def test_the_makefile_target_passes_rule_days_and_targets():
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "$(BIN)/alerting-rules backtest $(RULE) --days $(or $(DAYS),14)" in makefile
