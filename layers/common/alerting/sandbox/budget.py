"""A render's budget: 0.2 s of this thread's CPU time, no value built past the output cap, and
50 times the cap in characters built in all (output included). Everything a template runs
checks it, through the functions here."""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2.exceptions import SecurityError

from alerting.sandbox.estimates import size_of

MAX_RENDERED = 20_000  # characters of output, and of any one value a template builds
BUDGET_SECONDS = 0.2
BUDGET_CHARACTERS = 50 * MAX_RENDERED  # built in all by one render, output included


@dataclass
class Budget:
    deadline: float
    characters: int  # left to build

    def tick(self) -> None:
        if time.thread_time() > self.deadline:
            raise SecurityError("template took too long")

    def spend(self, characters: int) -> None:
        self.characters -= characters
        if self.characters < 0:
            raise SecurityError(f"template built more than {BUDGET_CHARACTERS:,} characters in all")


_budget: ContextVar[Budget | None] = ContextVar("template_budget", default=None)


@contextmanager
def budgeted(seconds: float = BUDGET_SECONDS) -> Iterator[None]:
    """``seconds`` of this thread's CPU time (less, where the invocation has less left): a render
    in one of a tick's 16 writer threads is not charged for the others' share of the GIL."""
    token = _budget.set(Budget(time.thread_time() + min(seconds, BUDGET_SECONDS), BUDGET_CHARACTERS))
    try:
        yield
    finally:
        _budget.reset(token)


def current() -> Budget:
    budget = _budget.get()
    if budget is None:  # nothing of a template runs outside a render's budget
        raise SecurityError("template code ran outside a render")
    budget.tick()
    return budget


def refuse_past_cap(bound: int) -> None:
    if bound > MAX_RENDERED:
        raise SecurityError("template would build a value that is too large")


def bounded(value: Any) -> Any:
    """A value read from what exists already (an attribute, an item, a selected element)."""
    current()
    if isinstance(value, str | list | dict | tuple) and len(value) > MAX_RENDERED:
        raise SecurityError("template built a value that is too large")
    return value


def built(value: Any) -> Any:
    """A value a call has just built: within the cap, and counted against the budget."""
    budget = current()
    size = size_of(value, MAX_RENDERED)
    if size > MAX_RENDERED:
        raise SecurityError("template built a value that is too large")
    budget.spend(size)
    return value


def bounded_iter(iterable: Iterable[Any]) -> Iterator[Any]:
    """Every ``{% for %}`` iterates through this: a loop with an empty body over a prebuilt
    ``range`` makes no call and reads no attribute, so only the iteration itself can be checked."""
    for item in iterable:
        current()
        yield item


def listed(value: Any) -> Any:
    """A lazy sequence as a list, so that a bound can count its items (the filter or method it
    is handed to would list it anyway)."""
    if isinstance(value, Collection) or not isinstance(value, Iterable):
        return value
    items = []
    for item in bounded_iter(value):
        items.append(item)
        if len(items) > MAX_RENDERED:
            raise SecurityError("template listed too many items")
    return items
