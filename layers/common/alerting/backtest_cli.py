"""`alerting-rules backtest` (`make backtest`): what a rule would have done over the last days.

    alerting-rules backtest high-cpu-usage --days 14                   the local stack (make serve)
    alerting-rules backtest high-cpu-usage --days 14 --api https://<id>.execute-api.<region>.amazonaws.com/v1
    alerting-rules backtest high-cpu-usage --days 14 --file rules/high-cpu-usage.yaml   an edit, against the saved rule
    alerting-rules backtest high-cpu-usage --days 90 --table <ConfigTableName>         on this machine

Through the API (`--api`, default the local stack on http://127.0.0.1:3000; a deployed API is
called with SigV4 from the default credentials): the plan and its price are asked for first and
printed, then the backtest runs within the API's limits. With `--table` it runs here, with your
credentials reading the config table and CloudWatch: no evaluation limit, progress printed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from alerting.models.common import floor_minute, iso, parse_time, utcnow

LOCAL_API = "http://127.0.0.1:3000"
_REGION = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com")


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("backtest", help="what a rule would have done over a past range")
    parser.add_argument("rule_id", help="the saved rule (with --file: the rule of that id in the file)")
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--days", type=float, default=None, help="the last N days [14]")
    when.add_argument("--start", help="ISO-8601 start (with --end, default now)")
    parser.add_argument("--end", help="ISO-8601 end [now]")
    parser.add_argument("--file", type=Path, help="a rules file: backtest its (edited) rule against the saved one")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--api", default=None, help=f"the API's URL [{LOCAL_API}, the local stack]")
    target.add_argument("--table", help="run here: the stack's ConfigTable name (output ConfigTableName)")
    parser.add_argument("--region", default=None, help="with --table")
    parser.add_argument("--max-calls", type=int, default=None, help="with --table: the GetMetricData budget [200]")
    parser.add_argument("--plan-only", action="store_true", help="only the plan and its price")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def main(args: argparse.Namespace) -> int:
    now = floor_minute(utcnow())
    end = parse_time(args.end) if args.end else now
    start = parse_time(args.start) if args.start else end - timedelta(days=args.days if args.days else 14)
    rule = _edited(args.file, args.rule_id) if args.file else None
    body: dict[str, Any] = {"start": iso(start), "end": iso(end)}
    if args.table:
        result = _here(args, rule, start, end, now)
    else:
        url = (args.api or LOCAL_API).rstrip("/")
        path = "/rules/backtest" if rule is not None else f"/rules/{args.rule_id}/backtest"
        if rule is not None:
            body["rule"] = rule
        planned = _post(url + path, {**body, "plan_only": True})
        print(plan_line(planned), file=sys.stderr)
        if args.plan_only:
            result = planned
        else:
            print("replaying...", file=sys.stderr)
            result = _post(url + path, body)
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


def _edited(path: Path, rule_id: str) -> dict[str, Any]:
    """The rule ``rule_id`` of a rules file, as the API takes it."""
    from alerting.rule_files import load_folder  # validates as `make rules-validate` does

    folder = path.parent
    rules, problems = load_folder(folder)
    mine = [p for p in problems if p.file == str(path)]
    if mine:
        raise SystemExit("\n".join(str(p) for p in mine))
    for rule in rules:
        if rule.rule_id == rule_id:
            return rule.model_dump(mode="json", exclude={"version", "created_at", "updated_at"})
    raise SystemExit(f"{path}: no rule {rule_id!r}")


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    region = _REGION.search(url)
    if region is not None:  # a deployed API is IAM-only: sign as the AWS CLI would
        from alerting.repositories.execute_api import signed_headers

        signed = signed_headers(url, data, headers, region.group(1))
        if signed is None:
            raise SystemExit("no AWS credentials to sign the request with")
        headers = signed
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            answer: dict[str, Any] = json.loads(response.read())
            return answer
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"{exc.code}: {exc.read().decode(errors='replace')}") from None
    except urllib.error.URLError as exc:
        raise SystemExit(f"cannot reach {url}: {exc.reason} (is `make serve` running? or give --api)") from None


def _here(
    args: argparse.Namespace, edited: dict[str, Any] | None, start: datetime, end: datetime, now: datetime
) -> dict[str, Any]:
    """The backtest on this machine: the saved rule, silences and mute windows from the table."""
    from alerting.backtest.planning import Limits
    from alerting.backtest.replay import Quieting
    from alerting.backtest.result import as_json
    from alerting.backtest.runner import run
    from alerting.discovery import MetricDirectory
    from alerting.errors import NotFound
    from alerting.kinds import MUTE_WINDOW, RULE, SILENCE
    from alerting.models.rules import Rule
    from alerting.repositories.clients import workstation_client
    from alerting.repositories.cloudwatch import CloudWatchListing, CloudWatchMetrics
    from alerting.wiring import workstation_table

    table, cloudwatch = (
        workstation_table(args.table, args.region, None),
        workstation_client("cloudwatch", args.region, None),
    )
    try:
        saved: Rule | None = table.repository(RULE).get(args.rule_id)
    except NotFound:
        saved = None
    if edited is None and saved is None:
        raise SystemExit(f"no rule {args.rule_id!r} in {args.table}")
    rule = Rule.model_validate(edited) if edited is not None else saved
    assert rule is not None
    quieting = Quieting(list(table.repository(SILENCE).all()), list(table.repository(MUTE_WINDOW).all()))
    limits = Limits(max_calls=args.max_calls or Limits().max_calls, max_evaluations=None)

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    common: dict[str, Any] = {
        "metrics": CloudWatchMetrics(cloudwatch),
        "directory": MetricDirectory(CloudWatchListing(cloudwatch), max_age=timedelta(0)),
        "saved": saved if edited is not None else None,
        "quieting": quieting,
        "limits": limits,
    }
    planned = run(rule, start, end, now, plan_only=True, **common)
    say(plan_line(as_json(planned)))
    if args.plan_only:
        return as_json(planned)
    return as_json(run(rule, start, end, now, progress=say, **common))


# -- printing -----------------------------------------------------------------------------------


def plan_line(result: dict[str, Any]) -> str:
    plan = result["plan"]
    exact = "exact (1-minute data)" if plan["exact"] else "older ticks at 5-minute or 1-hour resolution"
    return (
        f"plan: {plan['ticks']:,} ticks x {plan['series']} series = {plan['evaluations']:,} evaluations; "
        f"{plan['get_metric_data_calls']} GetMetricData calls ({plan['metrics_requested']:,} metrics requested, "
        f"${plan['cost_usd']:.4f}); {exact}"
    )


def render(result: dict[str, Any]) -> str:
    """The backtest as a person reads it: the plan, the alerts, and what an edit changes."""
    lines = [f"Backtest of {result['rule_id']} from {result['start']} to {result['end']}", "  " + plan_line(result)]
    if not result["ran"]:
        return "\n".join(lines)
    notifications = result["notifications"]
    quiet = sum(notifications["suppressed"].values())
    lines.append(
        f"  alerts: {len(result['alerts'])} (firing {duration(result['firing_seconds'])}, {result['flaps']} flaps); "
        f"notifications: {notifications['sent']} sent, {quiet} kept quiet"
        + (f" ({', '.join(f'{k}: {v}' for k, v in notifications['suppressed'].items())})" if quiet else "")
    )
    lines += ["    " + alert_line(a) for a in result["alerts"][:20]]
    if len(result["alerts"]) > 20:
        lines.append(f"    ... and {len(result['alerts']) - 20} more")
    comparison = result.get("comparison")
    if comparison:
        c = comparison
        changes = (
            f"alerts {c['alerts_before']} -> {c['alerts_after']}, "
            f"firing {duration(c['firing_seconds_before'])} -> {duration(c['firing_seconds_after'])}, "
            f"notifications {c['notifications_before']} -> {c['notifications_after']}"
        )
        lines.append(f"  against the saved rule (version {c['saved_version']}): {changes}")
        lines += [f"    + {alert_line(a)}" for a in comparison["added"]]
        lines += [f"    - {alert_line(a)}" for a in comparison["removed"]]
        for sign, key in (("+", "added_spans"), ("-", "removed_spans")):
            total = sum((parse_time(s["end"]) - parse_time(s["start"])).total_seconds() for s in comparison[key])
            if comparison[key]:
                lines.append(f"    {sign} firing {duration(int(total))} in {len(comparison[key])} stretch(es)")
    lines.append(f"  the rule's GetMetricData in production: ${result['monthly_cost_usd']:.2f} a month")
    return "\n".join(lines)


def alert_line(alert: dict[str, Any]) -> str:
    series = ",".join(f"{k}={v}" for k, v in sorted(alert["series"].items())) or "-"
    end = alert["resolved_at"] or "still open"
    peak = "" if alert["peak"] is None else f", peak {alert['peak']:g}"
    kind = "" if alert["kind"] == "threshold" else f" ({alert['kind']})"
    return (
        f"{series}{kind}: {alert['started_at']} -> {end} ({duration(alert['firing_seconds'])}{peak}), "
        f"{alert['severity']}" + (", flapping" if alert["flapping"] else "")
    )


def duration(seconds: int) -> str:
    days, rest = divmod(int(seconds), 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes or not (days or hours) else "",
    ]
    return " ".join(p for p in parts if p)
