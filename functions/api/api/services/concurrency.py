"""Optimistic concurrency for full updates (`PUT`): which version the client read, and the
stored item, only if that is still the one stored."""

from __future__ import annotations

import re
from typing import Protocol, TypeVar

from alerting.errors import Conflict, InvalidInput

VERSION_TAG = re.compile(r"[0-9]{1,18}")  # a stored version fits DynamoDB's number and an int64


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


V = TypeVar("V", bound=Versioned, covariant=True)


class Repository(Protocol[V]):
    def get(self, item_id: str) -> V: ...


def expected_version(body_version: int | None, if_match: str | None) -> int:
    """The version the client read: the body's `version` or the `If-Match` header ("3", W/"3")."""
    header: int | None = None
    if if_match is not None:
        tag = if_match.strip().removeprefix("W/").strip('"')
        # ASCII digits only, and few: str.isdigit() and int() also take '²' and '١٢', and
        # int() refuses more than 4,300 digits with an error of its own.
        if not VERSION_TAG.fullmatch(tag):
            raise InvalidInput("If-Match", 'expected the version number you read, e.g. "3"')
        header = int(tag)
    if body_version is not None and header is not None and body_version != header:
        raise InvalidInput("version", "differs from the If-Match header")
    version = body_version if body_version is not None else header
    if version is None:
        raise InvalidInput("version", "required: send the version you read (in the body or as If-Match)")
    return version


def current_for_update(
    repository: Repository[V],
    kind: str,
    item_id: str,
    body_id: str | None,
    body_version: int | None,
    if_match: str | None,
) -> V:
    """The stored item a `PUT` replaces: 400 for a body naming another id or no version, 409
    when the stored version is not the one the client read."""
    if body_id is not None and body_id != item_id:
        raise InvalidInput(f"{kind}_id", f"differs from the {kind}_id in the path")
    version = expected_version(body_version, if_match)
    stored = repository.get(item_id)
    if stored.version != version:
        raise Conflict(f"{kind} {item_id!r} is at version {stored.version}, not {version}: read it again")
    return stored
