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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import ConfigDict, Field, ValidationError, model_validator

from alerting.errors import MalformedRecord
from alerting.models.common import Model, ResourceId, UtcDatetime, iso
from alerting.models.conditions import WILDCARD
from alerting.models.rules import Rule

BUCKETS = 256
MAX_IDS_BYTES = 200_000  # a shard's rule ids in its message: SQS takes 256 KB a message


def bucket_of(rule_id: str) -> int:
    return zlib.crc32(rule_id.encode()) % BUCKETS


def weight(rule: Rule | RulePlan) -> int:
    """Series the rule may evaluate: one, or a fleet rule's `max_series` (its worst case)."""
    if isinstance(rule, RulePlan):
        return rule.weight
    return rule.max_series if rule.wildcards else 1


@dataclass(frozen=True)
class RulePlan:
    """What planning a tick needs of a rule, read straight from its stored item: the dispatcher
    of 100k rules validates none of them (that took most of its 23 s)."""

    rule_id: str
    enabled: bool
    evaluation_interval_seconds: int
    weight: int

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> RulePlan:
        """A rule item in DynamoDB's JSON; a field it lacks reads as the model's default."""
        fleet = any(
            dimension.get("S") == WILDCARD
            for condition in item["conditions"]["L"]
            for metric in _metrics(condition["M"])
            for dimension in metric.get("dimensions", {}).get("M", {}).values()
        )
        defaults = Rule.model_fields  # an item written before a field existed has none
        return cls(
            rule_id=item["rule_id"]["S"],
            enabled=item.get("enabled", {}).get("BOOL", defaults["enabled"].default),
            evaluation_interval_seconds=int(
                item.get("evaluation_interval_seconds", {}).get("N", defaults["evaluation_interval_seconds"].default)
            ),
            weight=int(item.get("max_series", {}).get("N", defaults["max_series"].default)) if fleet else 1,
        )


PLAN_ATTRIBUTES = ("rule_id", "enabled", "evaluation_interval_seconds", "max_series", "conditions")


def _metrics(condition: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A condition's metrics: its one `metric`, or metric math's `metrics` by id."""
    single = condition.get("metric", {}).get("M")
    return [single] if single else [m["M"] for m in condition.get("metrics", {}).get("M", {}).values()]


@dataclass(frozen=True)
class Shard:
    index: int
    buckets: tuple[int, ...]
    due: tuple[str, ...]  # rules to evaluate this tick


def plan(due: Iterable[Rule | RulePlan], budget: int) -> list[Shard]:
    """Contiguous bucket runs, each holding at most `budget` series of due rules and ids that fit
    one SQS message (a bucket that alone exceeds either is a shard of its own); every bucket in
    exactly one shard."""
    due_by_bucket: dict[int, list[Rule | RulePlan]] = {}
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


def _shard(index: int, buckets: list[int], due: dict[int, list[Rule | RulePlan]]) -> Shard:
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


MAX_MESSAGE_BYTES = 256 * 1024  # SQS's own limit: nothing larger came from the dispatcher


class ShardMessage(Model):
    """A shard message as ``shard_message`` writes it, checked field by field (strict types: a
    number in quotes is not a bucket)."""

    model_config = ConfigDict(strict=True)

    tick: UtcDatetime
    index: Annotated[int, Field(ge=0, lt=BUCKETS)]  # a shard holds at least one bucket
    buckets: Annotated[list[Annotated[int, Field(ge=0, lt=BUCKETS)]], Field(min_length=1, max_length=BUCKETS)]
    due: Annotated[list[ResourceId], Field(max_length=MAX_IDS_BYTES // 4)]  # an id and its quotes and comma

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.tick.second or self.tick.microsecond:
            raise ValueError("tick: not a whole minute")
        if self.buckets != list(range(self.buckets[0], self.buckets[0] + len(self.buckets))):
            raise ValueError("buckets: not a contiguous ascending run")
        if len(set(self.due)) != len(self.due):
            raise ValueError("due: an id appears twice")
        if any(not self.buckets[0] <= bucket_of(r) <= self.buckets[-1] for r in self.due):
            raise ValueError("due: an id outside the shard's buckets")
        return self


def parse_shard_message(body: str, now: datetime) -> tuple[datetime, Shard]:
    """The tick and shard of a message; ``MalformedRecord`` says which part is wrong (never what
    it holds, so it can be logged) for a message of another shape or size, an unknown id or
    bucket, or a tick later than ``now``."""
    if len(body.encode()) > MAX_MESSAGE_BYTES:
        raise MalformedRecord(f"not an evaluation shard: larger than {MAX_MESSAGE_BYTES} bytes")
    try:
        message = ShardMessage.model_validate_json(body)
    except ValidationError as exc:
        raise MalformedRecord(f"not an evaluation shard: {_problems(exc)}") from None
    if message.tick > now:
        raise MalformedRecord("not an evaluation shard: its tick is in the future")
    return message.tick, Shard(message.index, tuple(message.buckets), tuple(message.due))


def _problems(exc: ValidationError) -> str:
    """Where and what, without the input: pydantic's messages do not quote it, and the name of
    a field we do not know is not repeated either."""
    found = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False)[:3]:
        loc, message = error["loc"], error["msg"].removeprefix("Value error, ")
        if not loc:
            found.append(message)
        elif loc[0] in ShardMessage.model_fields:
            found.append(f"{'.'.join(map(str, loc))}: {message}")
        else:
            found.append(f"a field it should not have: {message}")
    return "; ".join(found) + (f" (and {exc.error_count() - 3} more)" if exc.error_count() > 3 else "")
