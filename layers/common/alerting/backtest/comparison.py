"""Comparing an edited rule's replay with the rule's as saved: the alerts and the time firing the
edit adds and removes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from alerting.backtest.replay import BacktestAlert, Outcome
from alerting.models.common import floor_minute

Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class SeriesSpan:
    series: dict[str, str]
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Comparison:
    """What an edit adds and removes: alerts with no overlapping alert of the same series on
    the other side, and the stretches of time firing on one side only."""

    added: list[BacktestAlert]
    removed: list[BacktestAlert]
    added_spans: list[SeriesSpan]
    removed_spans: list[SeriesSpan]


def compare(saved: Outcome, edited: Outcome) -> Comparison:
    end = floor_minute(edited.plan.end)
    before, after = _spans(saved.alerts, end), _spans(edited.alerts, end)
    return Comparison(
        added=[a for a in edited.alerts if not _overlaps(a, before, end)],
        removed=[a for a in saved.alerts if not _overlaps(a, after, end)],
        added_spans=_minus(after, before),
        removed_spans=_minus(before, after),
    )


def _key(series: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(series.items()))


def _spans(alerts: Sequence[BacktestAlert], end: datetime) -> dict[tuple[tuple[str, str], ...], list[Span]]:
    """Each series' threshold alerts as [start, end) spans, merged, in order."""
    spans: dict[tuple[tuple[str, str], ...], list[Span]] = defaultdict(list)
    for alert in sorted(alerts, key=lambda a: a.started_at):
        if alert.kind != "threshold":
            continue
        span = (alert.started_at, alert.resolved_at or end)
        merged = spans[_key(alert.series)]
        if merged and span[0] <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], span[1]))
        else:
            merged.append(span)
    return spans


def _overlaps(alert: BacktestAlert, spans: Mapping[tuple[tuple[str, str], ...], list[Span]], end: datetime) -> bool:
    until = alert.resolved_at or end
    return any(start < until and alert.started_at < stop for start, stop in spans.get(_key(alert.series), []))


def _minus(
    ours: Mapping[tuple[tuple[str, str], ...], list[Span]], theirs: Mapping[tuple[tuple[str, str], ...], list[Span]]
) -> list[SeriesSpan]:
    """The parts of our spans that none of theirs covers, per series."""
    out: list[SeriesSpan] = []
    for key, spans in sorted(ours.items()):
        for start, end in spans:
            cursor = start
            for other_start, other_end in theirs.get(key, []):
                if other_end <= cursor or other_start >= end:
                    continue
                if other_start > cursor:
                    out.append(SeriesSpan(dict(key), cursor, other_start))
                cursor = max(cursor, other_end)
            if cursor < end:
                out.append(SeriesSpan(dict(key), cursor, end))
    return out
