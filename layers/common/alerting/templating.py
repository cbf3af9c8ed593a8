"""Message and annotation templates, rendered in a Jinja2 sandbox.

Templates see the alert's fields (``alert.rule_name``, ``alert.values``...) plus shortcuts
(``value``, ``threshold``, ``status``, ``event``). A template that fails to parse is rejected when
it is saved (`check`); one that fails to render anyway falls back to the default text and the
failure is recorded (`TemplateFailure`), so a bad template never blocks an alert.

Templates run inside the evaluator's tick and the notifier's batch, so a render has a budget
(`alerting.sandbox`): 0.2 s of time, 20,000 characters of output, no value built larger than
that (every filter, test, method call and operator is bounded before it runs and checked after),
and 1,000,000 characters built in all. Templates are also checked when they are saved (`check`):
test-rendered against a sample alert, and their expressions of constants evaluated in every
branch, so one that fails, runs out of budget or fills the output cap is refused with the field
named.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from alerting.errors import InvalidTemplate, TemplateFailure

__all__ = ["TemplateFailure", "check", "context", "invocation_budget", "render", "render_annotations"]

if TYPE_CHECKING:
    from alerting.models.alerts import Alert

logger = logging.getLogger(__name__)
MAX_ANNOTATION = 4_000


def context(alert: Alert, event: str | None = None) -> dict[str, Any]:
    data = alert.model_dump(mode="json")
    first = alert.values[0] if alert.values else None
    return {
        "alert": data,
        "event": event or alert.last_transition.event.value,
        "status": alert.status.value,
        "value": first.value if first else None,
        "threshold": first.threshold if first else None,
        **{k: data[k] for k in ("rule_name", "severity", "category", "labels", "series", "values")},
    }


def render(source: str, variables: dict[str, Any]) -> str:
    from alerting.sandbox import environment  # Jinja, on the first render only

    allowance = _invocation.get()
    if allowance is None:
        return environment.render(source, variables)
    left = allowance.left()
    if left <= 0:
        raise TemplateFailure("the templates' time for this tick or batch is spent")
    started = time.thread_time()
    try:
        return environment.render(source, variables, left)
    finally:
        allowance.spend(time.thread_time() - started)


# One render may take 0.2 s of CPU; all of one invocation's renders together (a tick of a
# 500-series fleet rule with 20 annotations each, a notifier batch) at most this much: past it,
# default texts. Only rendering counts, not the invocation's I/O.
INVOCATION_SECONDS = 10.0


class _Allowance:
    """Rendering time an invocation has left; its writer threads spend from it at once."""

    def __init__(self, seconds: float) -> None:
        self._left = seconds
        self._lock = threading.Lock()

    def left(self) -> float:
        return self._left

    def spend(self, seconds: float) -> None:
        with self._lock:
            self._left -= seconds


# A context variable, not a global: locally, several handlers run at once in threads (a pool
# that renders for an invocation runs each task in a copy of the invocation's context).
_invocation: ContextVar[_Allowance | None] = ContextVar("template_invocation_allowance", default=None)


@contextmanager
def invocation_budget(seconds: float = INVOCATION_SECONDS) -> Iterator[None]:
    """Every render inside shares ``seconds`` (the evaluator's tick, the notifier's batch)."""
    token = _invocation.set(_Allowance(seconds))
    try:
        yield
    finally:
        _invocation.reset(token)


def check(source: str, field: str, sample: Alert) -> None:
    """Refuse a template, naming the field, that does not parse, that has an expression of
    constants overrunning its budget (in any branch), or that fails, overruns its budget or
    reaches the output cap on ``sample``. Labels and annotations the sample lacks read as empty:
    a channel's template may name labels that only some rules set."""
    from alerting.sandbox.budget import MAX_RENDERED
    from alerting.sandbox.constants import constant_error
    from alerting.sandbox.environment import parse_error

    problem = parse_error(source)
    if problem is not None:
        raise InvalidTemplate(field, f"template does not parse: {problem}")
    problem = constant_error(source)
    if problem is not None:
        raise InvalidTemplate(field, f"template overruns its budget: {problem}")
    variables = context(sample)
    alert = variables["alert"]
    for name in ("labels", "annotations"):
        alert[name] = defaultdict(str, alert[name])
    variables["labels"] = alert["labels"]
    try:
        text = render(source, variables)
    except TemplateFailure as exc:
        raise InvalidTemplate(field, f"template fails on a sample alert: {exc}") from None
    if len(text) >= MAX_RENDERED:
        raise InvalidTemplate(field, f"template output on a sample alert reaches the {MAX_RENDERED:,}-character cap")


def render_annotations(templates: dict[str, str], alert: Alert) -> dict[str, str]:
    """Annotations render with the alert's values; a failing one is left out, so messages use
    their default text for it. Each is capped so that an alert item stays far below DynamoDB's
    400 KB (20 annotations at most)."""
    variables = context(alert)
    rendered: dict[str, str] = {}
    for name, source in templates.items():
        try:
            text = render(source, variables)
        except TemplateFailure as exc:
            logger.warning(
                "annotation template failed", extra={"rule_id": alert.rule_id, "annotation": name, "error": str(exc)}
            )
            continue
        rendered[name] = text if len(text) <= MAX_ANNOTATION else text[: MAX_ANNOTATION - 1] + "…"
    return rendered
