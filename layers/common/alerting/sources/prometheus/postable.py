"""`POST /api/v2/alerts`: the alerts Prometheus sends become signals, with its `endsAt` semantics.

Prometheus sends each firing alert every resend delay (`--rules.alert.resend-delay`, 1m) with
`startsAt` the time it fired and `endsAt` a little ahead (four evaluation intervals or resend
delays, whichever is longer: `ValidUntil`); a resolved alert once it resolves, with `endsAt`
the time it did, and again for 15 minutes. As in Alertmanager, an alert is firing while its
`endsAt` lies ahead (one sent without it, for `RESOLVE_TIMEOUT`), and one whose `endsAt` passes
without being sent again resolves then (`alerting.lifecycle.signals.lapse`, from the sweep).

One alert per integration and label set (origin `prometheus:<integration_id>`, key the sorted
labels); a firing signal is dated by `startsAt` (so a resend of the same firing is the same
state, and a resolved one by `endsAt`, never older than its firing), and carries its `endsAt`.
As Alertmanager, every valid alert of a batch counts even when others are refused
(`Posted.errors`, answered with a 400 naming each one's field), and empty label values are dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import ValidationError

from alerting import json_limits
from alerting.errors import InvalidInput
from alerting.models.alerts import AlertSource
from alerting.models.common import EARLIEST, LATEST, Severity, iso
from alerting.models.integrations import Integration
from alerting.models.signals import Signal
from alerting.sources.prometheus.shapes import PostableAlert, is_go_zero
from alerting.validation import field_errors

MAX_ALERTS = 1_000  # per request
MAX_LABELS = 32  # per alert, and as many annotations: an alert item and its SNS message stay small
MAX_NAME = 128
MAX_LABEL_VALUE = 1_024
MAX_ANNOTATION = 2_048  # characters of an annotation kept; a longer one is cut (a label is refused: it is identity)
TRUNCATED = "… (truncated)"
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")  # Prometheus's, as Alertmanager 0.25 checks
RESOLVE_TIMEOUT = timedelta(minutes=5)  # Alertmanager's `resolve_timeout`: an alert sent without an end
# Prometheus's `severity` label, as our severity (docs/sources.md); any other value: the integration's.
SEVERITIES = {
    "critical": Severity.critical,
    "high": Severity.high,
    "error": Severity.high,
    "page": Severity.high,
    "warning": Severity.medium,
    "medium": Severity.medium,
    "low": Severity.low,
    "info": Severity.info,
    "none": Severity.info,
}


@dataclass
class Posted:
    """A batch read: the signals of its valid alerts, and what is wrong with the others."""

    signals: list[Signal] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (field, message), e.g. ("0.labels", "...")


def read_alerts(body: str | bytes | None, integration: Integration, now: datetime) -> Posted:
    """The batch ``body`` holds. InvalidInput (nothing counts) when it is not a JSON array of at
    most ``MAX_ALERTS`` objects; an alert that is invalid on its own is left out and named."""
    try:
        document = json_limits.loads(body or "")
    except ValueError as exc:
        raise InvalidInput("body", str(exc)) from None
    if not isinstance(document, list):
        raise InvalidInput("body", "must be a JSON array of alerts")
    if len(document) > MAX_ALERTS:
        raise InvalidInput("body", f"at most {MAX_ALERTS} alerts in one request, not {len(document)}")
    posted = Posted()
    for index, item in enumerate(document):
        if not isinstance(item, dict):
            posted.errors.append((str(index), "must be an alert object"))
            continue
        try:
            alert = PostableAlert.model_validate(item)
            posted.signals.append(alert_signal(alert, integration, now))
        except ValidationError as exc:
            posted.errors += field_errors(exc.errors(), prefix=f"{index}.")
        except InvalidInput as exc:
            posted.errors.append((f"{index}.{exc.field}", exc.message))
    return posted


def alert_signal(alert: PostableAlert, integration: Integration, now: datetime) -> Signal:
    """One alert as a signal about its label set's alert; InvalidInput naming the field."""
    labels = {name: value for name, value in alert.labels.items() if value}  # as Alertmanager
    check_labels("labels", labels, MAX_LABEL_VALUE)
    check_labels("annotations", alert.annotations, None)
    starts, ends = _times(alert, now)
    firing = ends > now
    url = alert.generatorURL
    if url and not url.lower().startswith(("https://", "http://")):
        raise InvalidInput("generatorURL", "must be an http or https URL")
    key = json.dumps(sorted(labels.items()), ensure_ascii=False, separators=(",", ":"))
    return Signal(
        source=AlertSource.prometheus,
        origin=f"prometheus:{integration.integration_id}",
        name=labels.get("alertname") or _text(labels),
        key=key,
        firing=firing,
        # The lifecycle remembers a source's time to the second: a resend must compare equal.
        at=(starts if firing else ends).replace(microsecond=0),
        event_id=f"until {iso(ends)}" if firing else "resolved",
        ends_at=ends.replace(microsecond=0) if firing else None,
        severity=SEVERITIES.get(labels.get("severity", "").lower(), integration.severity),
        labels={**integration.labels, **labels},
        annotations={name: _cut(value) for name, value in alert.annotations.items()},
        source_url=url or None,
    )


def check_labels(where: str, labels: dict[str, str], max_value: int | None) -> None:
    """Alertmanager's label rules (names as Prometheus's; at least one label), and our limits."""
    if where == "labels" and not labels:
        raise InvalidInput(where, "at least one label pair required")
    if len(labels) > MAX_LABELS:
        raise InvalidInput(where, f"at most {MAX_LABELS}, not {len(labels)}")
    for name, value in labels.items():
        if len(name) > MAX_NAME or not LABEL_NAME.fullmatch(name):
            raise InvalidInput(
                f"{where}.{name[:MAX_NAME]}",
                f"invalid label name: at most {MAX_NAME} of [a-zA-Z0-9_], not first a digit",
            )
        if max_value is not None and len(value) > max_value:
            raise InvalidInput(f"{where}.{name}", f"at most {max_value} characters, not {len(value)}")


def _times(alert: PostableAlert, now: datetime) -> tuple[datetime, datetime]:
    """(startsAt, endsAt) as Alertmanager completes them: no start is the end, or now; no end is
    ``RESOLVE_TIMEOUT`` from now. Each within the dates we store."""
    starts = None if is_go_zero(alert.startsAt) else alert.startsAt
    ends = None if is_go_zero(alert.endsAt) else alert.endsAt
    for name, value in (("startsAt", starts), ("endsAt", ends)):
        if value is not None and not EARLIEST <= value < LATEST:
            raise InvalidInput(name, f"must be from {iso(EARLIEST)} to before {iso(LATEST)}")
    starts = starts or ends or now
    ends = ends or now + RESOLVE_TIMEOUT
    if ends < starts:
        raise InvalidInput("endsAt", "start time must be before end time")
    return starts, ends


def _text(labels: dict[str, str]) -> str:
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


def _cut(value: str) -> str:
    return value if len(value) <= MAX_ANNOTATION else value[: MAX_ANNOTATION - len(TRUNCATED)] + TRUNCATED


def error_text(errors: list[tuple[str, str]]) -> str:
    """Alertmanager's 400 for a batch with invalid alerts: each one's problem, in one line."""
    return "; ".join(f"{name}: {message}" for name, message in errors)
