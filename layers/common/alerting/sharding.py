"""Splitting a tick across Lambda invocations: buckets, shards and the message that carries one.

Every rule lives in one of ``BUCKETS`` buckets by a stable hash of its id (CRC-32, the same in
every process and release), and its series' state items carry that bucket, so a shard reads
its state with one Query per bucket (the state table's ``by-bucket`` index) instead of a Scan.
A tick's plan covers every bucket exactly once, in contiguous runs packed up to the budget of
series one invocation evaluates in time; the rules of a bucket are never split, so each due rule
is in exactly one shard. Pure: (rules, budget) → shards.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from alerting.errors import MalformedRecord
from alerting.models.common import iso, parse_time
from alerting.models.rules import Rule

BUCKETS = 256
MAX_IDS_BYTES = 200_000  # a shard's rule ids in its message: SQS takes 256 KB a message


def bucket_of(rule_id: str) -> int:
    return zlib.crc32(rule_id.encode()) % BUCKETS


def weight(rule: Rule) -> int:
    """Series the rule may evaluate: one, or a fleet rule's `max_series` (its worst case)."""
    return rule.max_series if rule.wildcards else 1


@dataclass(frozen=True)
class Shard:
    index: int
    buckets: tuple[int, ...]
    due: tuple[str, ...]  # rules to evaluate this tick


def plan(due: Iterable[Rule], budget: int) -> list[Shard]:
    """Contiguous bucket runs, each holding at most `budget` series of due rules and ids that fit
    one SQS message (a bucket that alone exceeds either is a shard of its own); every bucket in
    exactly one shard."""
    due_by_bucket: dict[int, list[Rule]] = {}
    for rule in due:
        due_by_bucket.setdefault(bucket_of(rule.rule_id), []).append(rule)
    shards: list[Shard] = []
    run: list[int] = []
    load = size = 0
    for bucket in range(BUCKETS):
        rules = due_by_bucket.get(bucket, [])
        cost, ids = sum(weight(r) for r in rules), sum(len(r.rule_id) + 3 for r in rules)
        if run and (load + cost > budget or size + ids > MAX_IDS_BYTES):
            shards.append(_shard(len(shards), run, due_by_bucket))
            run, load, size = [], 0, 0
        run.append(bucket)
        load, size = load + cost, size + ids
    shards.append(_shard(len(shards), run, due_by_bucket))
    return shards


def _shard(index: int, buckets: list[int], due: dict[int, list[Rule]]) -> Shard:
    return Shard(index, tuple(buckets), tuple(sorted(r.rule_id for b in buckets for r in due.get(b, []))))


def shard_message(tick: datetime, shard: Shard) -> str:
    return json.dumps(
        {
            "tick": iso(tick),
            "index": shard.index,
            "buckets": list(shard.buckets),
            "due": list(shard.due),
        },
        separators=(",", ":"),
    )


def parse_shard_message(body: str) -> tuple[datetime, Shard]:
    try:
        data = json.loads(body)
        shard = Shard(
            int(data["index"]),
            tuple(int(b) for b in data["buckets"]),
            tuple(str(r) for r in data["due"]),
        )
        return parse_time(str(data["tick"])), shard
    except (ValueError, TypeError, KeyError) as exc:
        raise MalformedRecord(f"not an evaluation shard: {type(exc).__name__}") from None
