"""What an audit entry says about a change: a bounded summary of the fields that changed, with
every secret left out. Pure: the views it is handed are what the API shows (a channel's secrets
as `{"secret": true, "set": ...}`, an integration's key as a hint); anything that still looks
like a secret by its name is dropped too, so a key shown once (a creation's, a rotation's) never
reaches the log."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

MAX_FIELDS = 20  # a rule has ~25 fields; a diff of more says "and N more"
MAX_VALUE = 300  # characters of one value's JSON
SERVER_FIELDS = {"version", "created_at", "updated_at"}
SECRET_NAME = re.compile(r"key|secret|token|password|signing|webhook_url|authorization", re.IGNORECASE)
REDACTED = "(secret)"


def change_of(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict[str, Any]:
    """A creation: its fields; a replacement: each changed field as `{from, to}`; a deletion: nothing."""
    if after is None:
        return {}
    old = _shown(before or {})
    new = _shown(after)
    if before is None:
        changed: dict[str, Any] = dict(new)
    else:
        changed = {
            name: {"from": old.get(name), "to": new.get(name)}
            for name in sorted(set(old) | set(new))
            if old.get(name) != new.get(name)
        }
    return _bounded(changed)


def _shown(view: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _redacted(name, value) for name, value in view.items() if name not in SERVER_FIELDS}


def _redacted(name: str, value: Any) -> Any:
    if SECRET_NAME.search(name) or _is_secret_marker(value):
        return REDACTED
    if isinstance(value, Mapping):
        return {k: _redacted(str(k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(name, v) for v in value]
    return value


def _is_secret_marker(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("secret") is True


def _bounded(changed: dict[str, Any]) -> dict[str, Any]:
    names = list(changed)
    bounded = {name: _short(changed[name]) for name in names[:MAX_FIELDS]}
    if len(names) > MAX_FIELDS:
        bounded["..."] = f"and {len(names) - MAX_FIELDS} more fields"
    return bounded


def _short(value: Any) -> Any:
    text = json.dumps(value, default=str, sort_keys=True)
    return value if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def note_of(said_by: str | None, note: str, actor: str) -> str:
    """A body's `by` is what the caller says, not who they are: kept in the note, unless it only
    repeats the actor."""
    if not said_by or said_by == actor:
        return note
    return f"(by: {said_by}) {note}".rstrip()
