"""Deployment limits on how many of something may exist (`MaxSilences`, `MaxMuteWindows`...)."""

from __future__ import annotations

from dataclasses import dataclass

from alerting.errors import LimitReached


@dataclass(frozen=True)
class Limit:
    """A deployment parameter (``name``) capping how many of something may exist: checked when
    one is created (concurrent creates may pass it by their number; the next one is refused)."""

    what: str  # "mute windows"
    maximum: int
    name: str  # "MaxMuteWindows"

    def check(self, existing: int) -> None:
        if existing >= self.maximum:
            raise LimitReached(self.what, self.maximum, self.name)
