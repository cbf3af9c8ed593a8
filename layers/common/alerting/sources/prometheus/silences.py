"""Our silences as Alertmanager's (`gettableSilence`), and Alertmanager's (`postableSilence`) as
ours: the same silences the main API and the dashboard show.

A matcher's `isRegex`/`isEqual` are our `=`, `!=`, `=~`, `!~`. A posted silence is checked as
Alertmanager checks one (its 400s' messages), then as ours (RE2, limits), each problem naming
Alertmanager's field (`matchers.0.value`, `endsAt`). Listing filters and sorts as Alertmanager.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from pydantic import ValidationError

from alerting import json_limits
from alerting.errors import InvalidInput
from alerting.models.silences import Matcher, Silence, SilenceSpec, SilenceState
from alerting.sources.prometheus.matchers import ours, theirs
from alerting.sources.prometheus.shapes import GettableSilence, PostableSilence, SilenceStatus, rfc3339
from alerting.validation import field_errors

# our field → Alertmanager's, in the names a refusal gives
FIELDS = {"label": "name", "starts_at": "startsAt", "ends_at": "endsAt", "created_by": "createdBy"}
ORDER = {SilenceState.active: 1, SilenceState.pending: 2, SilenceState.expired: 3}


def gettable_silence(silence: Silence, now: datetime) -> GettableSilence:
    return GettableSilence(
        id=silence.silence_id,
        status=SilenceStatus(state=silence.state(now)),
        updatedAt=rfc3339(silence.updated_at),
        matchers=[theirs(m) for m in silence.matchers],
        startsAt=rfc3339(silence.starts_at),
        endsAt=rfc3339(silence.ends_at),
        createdBy=silence.created_by,
        comment=silence.comment,
    )


def posted_silence(body: str | bytes | None, now: datetime) -> tuple[str, SilenceSpec]:
    """The posted silence's `id` ("" for a new one) and what it asks for; InvalidInput naming
    the field otherwise."""
    try:
        document = json_limits.loads(body or "")
        posted = PostableSilence.model_validate(document)
    except ValueError as exc:  # ValidationError is one
        errors = field_errors(exc.errors()) if isinstance(exc, ValidationError) else [("body", str(exc))]
        raise InvalidInput(*errors[0]) from None
    if posted.startsAt >= posted.endsAt:
        raise InvalidInput("endsAt", "Failed to create silence: start time must be before end time")
    if posted.endsAt < now:
        raise InvalidInput("endsAt", "Failed to create silence: end time can't be in the past")
    try:
        spec = SilenceSpec.model_validate(
            {
                "matchers": [ours(m) for m in posted.matchers],
                "starts_at": posted.startsAt,
                "ends_at": posted.endsAt,
                "created_by": posted.createdBy,
                "comment": posted.comment,
            }
        )
    except ValidationError as exc:
        name, message = field_errors(exc.errors())[0]
        raise InvalidInput(".".join(FIELDS.get(part, part) for part in name.split(".")), message) from None
    return posted.id, spec


def listed(silences: Iterable[Silence], filters: Sequence[Matcher], now: datetime) -> list[GettableSilence]:
    """Alertmanager's `GET /silences`: those having every `filter` matcher among theirs (same
    name, type and value), active first (the next to end first), then pending (the next to start),
    then expired (the latest ended first)."""

    def key(silence: Silence) -> tuple[int, float]:
        state = silence.state(now)
        when = silence.starts_at if state is SilenceState.pending else silence.ends_at
        return ORDER[state], -when.timestamp() if state is SilenceState.expired else when.timestamp()

    kept = [s for s in silences if all(_has(s, wanted) for wanted in filters)]
    return [gettable_silence(s, now) for s in sorted(kept, key=key)]


def _has(silence: Silence, wanted: Matcher) -> bool:
    return any((m.label, m.op, m.value) == (wanted.label, wanted.op, wanted.value) for m in silence.matchers)
