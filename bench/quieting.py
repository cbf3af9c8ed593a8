"""Quieting benchmark (`make bench`): every quieting limit full (1,000 silences, 200 mute windows,
200 inhibitions, 20 matchers each, all regexes), the worst case each check can be made to take:
every matcher but the last one matches, so nothing short-circuits early.

Rows: the notifier's suppression decision (the real pipeline function, with 1,000 open alerts
for the inhibitions to look through), cold after a config change and warm; a tick's sweep
(silence ends over the open alerts); the worst matchers we could construct against a
500-character label.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

from alerting.evaluation import AlertChange, initial_state
from alerting.lifecycle import silence_ended, start_alert
from alerting.models.alerts import Alert, AlertKind
from alerting.models.inhibitions import Inhibition
from alerting.models.mute_windows import MuteWindow
from alerting.models.rules import Rule
from alerting.models.silences import Matcher, Silence
from notifier.pipeline import Quieting, suppression

T0 = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
MAX_SILENCES, MAX_MUTE_WINDOWS, MAX_INHIBITIONS, MATCHERS = 1000, 200, 200, 20
OPEN_ALERTS = 1000
LABELS = {f"l{i}": f"value-{i}-" + "x" * 40 for i in range(MATCHERS)}
WORST = [
    ("(a+)+$", "a" * 499 + "b"),
    ("(.*){16}X", "y" * 500),
    ("(a|aa)+$", "a" * 499 + "!"),
    ("(x+x+)+y", "x" * 500),
    ("(.*){200}", "y" * 500),  # near the program-size cap (2,000 instructions)
]


def matchers(miss_last: bool) -> list[dict[str, str]]:
    """20 regex matchers over the alert's labels; the last fails when ``miss_last``."""
    out = [{"label": f"l{i}", "op": "=~", "value": r"value-\d+-x{10,}.*"} for i in range(MATCHERS - 1)]
    out.append({"label": f"l{MATCHERS - 1}", "op": "=~", "value": "nothing-.*" if miss_last else ".*"})
    return out


def silences() -> list[Silence]:
    return [
        Silence.model_validate(
            {
                "silence_id": f"s{i}",
                "matchers": matchers(miss_last=True),
                "starts_at": T0 - timedelta(hours=1),
                "ends_at": T0 + timedelta(hours=1) if i % 2 else T0 - timedelta(minutes=1),  # half just ended
                "created_by": "bench",
                "created_at": T0 - timedelta(hours=1),
                "updated_at": T0 - timedelta(hours=1),
            }
        )
        for i in range(MAX_SILENCES)
    ]


def quieting() -> Quieting:
    stamp = {"version": 1, "created_at": T0, "updated_at": T0}
    windows = [
        MuteWindow.model_validate(
            {
                "mute_window_id": f"w{i}",
                "name": f"w{i}",
                "time_zone": "Europe/Berlin",
                "matchers": matchers(miss_last=True),
                "times": [{"start": "00:00", "end": "24:00"}],
                **stamp,
            }
        )
        for i in range(MAX_MUTE_WINDOWS)
    ]
    inhibitions = [
        Inhibition.model_validate(
            {
                "inhibition_id": f"i{i}",
                "source": matchers(miss_last=True),  # aims at the alert, no source among the open ones
                "target": matchers(miss_last=False),
                "equal": ["l0"],
                **stamp,
            }
        )
        for i in range(MAX_INHIBITIONS)
    ]
    return Quieting(silences=silences(), mute_windows=windows, inhibitions=inhibitions)


def alerts(count: int, distinct: bool = False) -> list[Alert]:
    """``distinct``: every alert's labels differ from every other's (no remembered answer helps)."""
    return [_alert(i, LABELS if not distinct else {k: f"{v}{i}" for k, v in LABELS.items()}) for i in range(count)]


def _alert(i: int, labels: dict[str, str]) -> Alert:
    rule = Rule.model_validate(
        {
            "rule_id": "bench",
            "name": "Bench",
            "severity": "high",
            "category": "performance",
            "labels": labels,
            "conditions": [{"metric": {"namespace": "B", "name": "CPU"}, "operator": "gte", "threshold": 85}],
        }
    )
    return start_alert(rule, initial_state(rule), AlertChange(AlertKind.threshold, f"a-{i}", "bench"), [], T0)


def notifier_batch(transitions: int, distinct: bool = False) -> tuple[float, float, int]:
    """(the first transition after the quieting config changed, which matches every open alert
    against every inhibition once; each later one, warm; how many were held back)."""
    config = quieting()
    open_alerts = alerts(OPEN_ALERTS, distinct)

    def decide(alert: Alert) -> bool:
        return suppression(alert, config, open_alerts if config.may_inhibit(alert) else ()) is not None

    started = time.perf_counter()
    decide(open_alerts[0])
    cold = time.perf_counter() - started
    started = time.perf_counter()
    held = sum(decide(alert) for alert in open_alerts[1 : transitions + 1])
    return cold, (time.perf_counter() - started) / transitions, held


def tick_sweep() -> tuple[float, int]:
    """The sweep's silence-end check over the open alerts, in a tick right after half the
    silences ended (the worst: outside the five minutes after an end, the time test skips it)."""
    listed = silences()
    open_alerts = alerts(OPEN_ALERTS)
    started = time.perf_counter()
    announced = sum(silence_ended(alert, listed, T0) is not None for alert in open_alerts)
    return time.perf_counter() - started, announced


def worst_matchers() -> list[tuple[str, float]]:
    """(pattern, RE2 µs per match against a 500-character label)."""
    rows = []
    for pattern, value in WORST:
        matcher = Matcher.model_validate({"label": "l", "op": "=~", "value": pattern})
        runs = 1000
        started = time.perf_counter()
        for run in range(runs):
            matcher.matches({"l": value[:-4] + f"{run:04d}"})  # a new value each time
        rows.append((pattern, (time.perf_counter() - started) / runs * 1e6))
    return rows


def backtracking_seconds(length: int) -> float:
    """What Python's backtracking re took for `(a+)+$` against ``length`` characters."""
    started = time.perf_counter()
    re.fullmatch("(a+)+$", "a" * (length - 1) + "b")
    return time.perf_counter() - started


def main() -> None:
    print(
        f"quieting limits full: {MAX_SILENCES} silences, {MAX_MUTE_WINDOWS} mute windows, "
        f"{MAX_INHIBITIONS} inhibitions, {MATCHERS} regex matchers each (all but the last match)"
    )
    batch = 100
    cold, warm, held = notifier_batch(batch)
    print(
        f"  notifier, {OPEN_ALERTS} open alerts: first transition after a config change {cold * 1000:,.0f} ms, "
        f"then {warm * 1000:.1f} ms per transition ({held} of {batch} held back)"
    )
    cold, warm, held = notifier_batch(10, distinct=True)
    print(
        f"  the same, every open alert's labels distinct: first transition {cold * 1000:,.0f} ms, "
        f"then {warm * 1000:.1f} ms per transition"
    )
    took, announced = tick_sweep()
    print(f"  tick sweep over {OPEN_ALERTS} open alerts (silence ends): {took * 1000:,.0f} ms ({announced} announced)")
    print("worst matchers against a 500-character label (RE2, every value new)")
    for pattern, re2_us in worst_matchers():
        print(f"  {pattern:<12} {re2_us:8.1f} µs")
    print(f"  (Python's re, the engine before: `(a+)+$` against 24 characters took {backtracking_seconds(24):.1f} s)")


if __name__ == "__main__":
    main()
