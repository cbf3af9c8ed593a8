"""Silences: for a while, alerts whose labels match are recorded but not notified.

Matchers follow Alertmanager: `=`, `!=`, `=~`, `!~`; regexes match the whole value; every
matcher must match. A label the alert does not carry reads as the empty string. Regexes are
RE2 (Alertmanager's own dialect): matching takes time linear in the label's length, so no
pattern a user saves can stall a tick (Python's backtracking `re` took 47 s for `(a+)+$`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Self

import re2
from pydantic import Field, ValidationInfo, field_validator, model_validator

from alerting.models.common import Model, ResourceId, UtcDatetime, epoch

if TYPE_CHECKING:
    from alerting.models.alerts import Alert


KEPT_AFTER_END = timedelta(days=7)
logger = logging.getLogger(__name__)
# Whether a pattern matched a label value, remembered for the whole process (a warm notifier
# checks the same rule names, services and regions against the same silences all day), in
# one bounded table: past it the memory starts again. Values over 256 characters are not kept,
# so the table holds some 30 MB at most.
REMEMBERED_MATCHES = 100_000
REMEMBERED_LENGTH = 256
_FOUND: dict[tuple[str, str], bool] = {}


class MatchOp(StrEnum):
    equal = "="
    not_equal = "!="
    regex = "=~"
    not_regex = "!~"


class Matcher(Model):
    label: Annotated[str, Field(min_length=1, max_length=100)]
    op: MatchOp = MatchOp.equal
    value: Annotated[str, Field(max_length=500)]

    @field_validator("value")
    @classmethod
    def _compiles(cls, value: str, info: ValidationInfo) -> str:
        # A stored matcher loads whatever it holds (one saved before a stricter check must not
        # stop every tick from reading the rest); one that does not compile matches nothing.
        stored = bool(info.context and info.context.get("stored"))
        if info.data.get("op") in (MatchOp.regex, MatchOp.not_regex) and not stored:
            compile_re2(value)
        return value

    @cached_property
    def _pattern(self) -> Any:
        try:
            return compile_re2(self.value)
        except ValueError as exc:
            logger.warning("a stored matcher does not compile; it matches nothing", extra={"error": str(exc)})
            return None

    def matches(self, labels: dict[str, str]) -> bool:
        seen = labels.get(self.label, "")
        if self.op is MatchOp.equal:
            return seen == self.value
        if self.op is MatchOp.not_equal:
            return seen != self.value
        if self._pattern is None:
            return False
        found = _FOUND.get((self.value, seen))
        if found is None:
            found = self._pattern.fullmatch(seen) is not None  # anchored, as Alertmanager
            if len(seen) <= REMEMBERED_LENGTH:
                if len(_FOUND) >= REMEMBERED_MATCHES:
                    _FOUND.clear()
                _FOUND[self.value, seen] = found
        return found if self.op is MatchOp.regex else not found

    @property
    def matches_empty(self) -> bool:
        """Alertmanager's ``matchesEmpty``: an `=` of the empty string, or an `=~` the empty string
        matches. A negative matcher never counts, even though a missing label passes it (so
        `severity!=critical` alone is a valid silence, as in Alertmanager)."""
        if self.op is MatchOp.equal:
            return self.value == ""
        return self.op is MatchOp.regex and self._pattern is not None and self._pattern.fullmatch("") is not None


def _re2_options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # a refused pattern is the caller's 422, not a line on stderr
    options.never_capture = True  # no groups wanted: RE2 keeps to its DFA, linear with a small constant
    return options


_RE2_OPTIONS = _re2_options()
MAX_PROGRAM_SIZE = 2000  # RE2 instructions: `[a-z0-9-]{1,64}` is 259; matching time grows with it


def compile_re2(pattern: str) -> Any:
    """``pattern`` compiled by RE2; what RE2 refuses (backreferences, lookaround, a program over
    its memory budget) is a ValueError that names why, so the model's field error says it. RE2
    is linear in the label's length times the program's size, so a program is also capped:
    `(.*){1000}` repeated compiles to 450,000 instructions and takes seconds per match."""
    try:
        compiled = re2.compile(pattern, _RE2_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(f"not a valid RE2 regular expression: {reason}") from None
    if compiled.programsize > MAX_PROGRAM_SIZE:
        raise ValueError(
            f"regular expression too large: {compiled.programsize} RE2 instructions, at most {MAX_PROGRAM_SIZE}"
        )
    return compiled


class SilenceState(StrEnum):
    pending = "pending"
    active = "active"
    expired = "expired"


class SilenceSpec(Model):
    silence_id: ResourceId | None = None
    matchers: Annotated[list[Matcher], Field(min_length=1, max_length=20)]
    starts_at: UtcDatetime | None = None  # now, when left out
    ends_at: UtcDatetime
    created_by: Annotated[str, Field(min_length=1, max_length=200)]
    comment: Annotated[str, Field(max_length=2000)] = ""

    @field_validator("matchers")
    @classmethod
    def _not_everything(cls, matchers: list[Matcher]) -> list[Matcher]:
        # Alertmanager's validateSilence: `{team=""}` alone would silence every alert without a team.
        if all(m.matches_empty for m in matchers):
            raise ValueError("at least one matcher must not match the empty string")
        return matchers

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.starts_at is not None and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class Silence(SilenceSpec):
    """A stored silence. Read back as it was written: the rules above are for what a client
    sends, so a silence stored before a rule existed still loads (and still ends)."""

    silence_id: ResourceId
    starts_at: UtcDatetime
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int = 1

    @field_validator("matchers")
    @classmethod
    def _not_everything(cls, matchers: list[Matcher]) -> list[Matcher]:
        return matchers

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        # equal: a pending silence expired before it began (it covered nothing, ever)
        if self.ends_at < self.starts_at:
            raise ValueError("ends_at must not be before starts_at")
        return self

    @classmethod
    def created(cls, spec: SilenceSpec, silence_id: str, now: datetime) -> Silence:
        """The silence ``spec`` asks for, created at ``now``. A start left out, or in the past,
        is now (Alertmanager's): a silence cannot have held back what was already notified, and
        its end must not announce alerts it never covered."""
        return cls.model_validate(
            spec.model_dump()
            | {
                "silence_id": silence_id,
                "starts_at": max(spec.starts_at or now, now),
                "created_at": now,
                "updated_at": now,
            }
        )

    def expired(self, now: datetime) -> Silence:
        """This silence ended at ``now`` (a `DELETE`), as Alertmanager's ``expire``: an active one
        ends now; a pending one starts and ends now, so it never covered anything and its end
        announces nothing. The caller refuses one that has expired already."""
        starts = min(self.starts_at, now)
        return self.model_copy(
            update={"starts_at": starts, "ends_at": now, "updated_at": now, "version": self.version + 1}
        )

    @property
    def expires_epoch(self) -> int:
        """When the config table may delete it: a week after it ended (kept that long for the
        record and for `?state=expired`), so the sweep and the notifier stop reading old ones."""
        return epoch(self.ends_at + KEPT_AFTER_END)

    def state(self, now: datetime) -> SilenceState:
        if now < self.starts_at:
            return SilenceState.pending
        return SilenceState.active if now < self.ends_at else SilenceState.expired

    def covers(self, alert: Alert, at: datetime, labels: dict[str, str] | None = None) -> bool:
        """``labels``: the alert's ``alert_labels``, where the caller checks many silences."""
        if not self.starts_at <= at < self.ends_at:
            return False
        seen = alert_labels(alert) if labels is None else labels
        return all(m.matches(seen) for m in self.matchers)


def alert_labels(alert: Alert) -> dict[str, str]:
    """What matchers see: the rule's (or source's) labels, the series' dimensions, and the alert's
    identity, its source included (`source=cloudwatch`). A Prometheus alert's labels are seen as
    Prometheus sent them (`severity="warning"`), as Alertmanager's matchers see them."""
    identity = {
        "source": alert.source.value,
        "rule_id": alert.rule_id,
        "rule_name": alert.rule_name,
        "severity": alert.severity.value,
        "category": alert.category.value,
    }
    if alert.source == "prometheus":
        return {**identity, **alert.labels}
    return {**alert.labels, **alert.series, **identity}


def silencing(silences: list[Silence], alert: Alert, at: datetime) -> Silence | None:
    """The silence that covers ``alert`` at ``at`` (the earliest ending first), if any."""
    labels = alert_labels(alert)
    covering = [s for s in silences if s.covers(alert, at, labels)]
    return min(covering, key=lambda s: (s.ends_at, s.silence_id)) if covering else None
