"""The PagerDuty Events API v2 (§17, docs/sources.md): an alert event posted to `/v2/enqueue`
(`Event`, whose validation names each field at fault) becomes a `Signal` (trigger, resolve) or
an `Acknowledgement`.

Fields and limits are PagerDuty's ("Send an Alert Event"): `routing_key` and `event_action`
always; `dedup_key` (at most 255 characters) for acknowledge and resolve, made up for a trigger
without one; a trigger's `payload` with `summary` (at most 1,024 characters), `source` and
`severity`; an event of at most 512 KB. Fields PagerDuty does not know are ignored, as it
ignores them.

One alert per integration and `dedup_key` (origin `events:<integration_id>`, key the
`dedup_key`). Events count in the order they arrive (`at` is when we received one, to the
second), as PagerDuty applies them: `payload.timestamp` is the sender's clock, kept as an
annotation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from alerting import json_limits
from alerting.models.alerts import AlertSource
from alerting.models.common import Severity, UtcDatetime, iso
from alerting.models.integrations import Integration
from alerting.models.signals import Signal, fingerprint_of

MAX_EVENT_BYTES = 512 * 1024
MAX_DEDUP_KEY = 255
MAX_SUMMARY = 1024
MAX_LABEL_VALUE = 500  # an integration's label values are as long (models.integrations.LabelValue)
MAX_DETAILS = 20  # custom_details entries kept as annotations; the rest are dropped, and counted
MAX_ANNOTATION = 2048  # characters of each kept annotation: an alert item and its SNS message stay small
TRUNCATED = "… (truncated)"


class EventAction(StrEnum):
    trigger = "trigger"
    acknowledge = "acknowledge"
    resolve = "resolve"


class EventSeverity(StrEnum):
    critical = "critical"
    error = "error"
    warning = "warning"
    info = "info"


SEVERITIES = {
    EventSeverity.critical: Severity.critical,
    EventSeverity.error: Severity.high,
    EventSeverity.warning: Severity.medium,
    EventSeverity.info: Severity.info,
}


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("is missing or blank")
    return value


Text = Annotated[str, AfterValidator(_not_blank)]
Summary = Annotated[str, Field(max_length=MAX_SUMMARY), AfterValidator(_not_blank)]
DedupKey = Annotated[str, Field(max_length=MAX_DEDUP_KEY), AfterValidator(_not_blank)]


class _Wire(BaseModel):
    """As PagerDuty reads an event: unknown fields ignored, none coerced into a string."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)


class Link(_Wire):
    href: Text
    text: str = ""


class Image(_Wire):
    src: Text
    href: str = ""
    alt: str = ""


class Payload(_Wire):
    summary: Summary
    source: Text
    severity: EventSeverity
    timestamp: UtcDatetime | None = None
    component: str = ""
    group: str = ""
    class_: str = Field("", alias="class")
    custom_details: Any = None  # an object, as PD-CEF says; any other JSON is kept as its text


class Event(_Wire):
    routing_key: Text
    event_action: EventAction
    dedup_key: DedupKey | None = None
    payload: Payload | None = None  # a trigger's; acknowledge and resolve need none (and its is ignored)
    client: str = ""
    client_url: str = ""
    links: list[Link] = []
    images: list[Image] = []

    @model_validator(mode="after")
    def _action_needs(self) -> Event:
        if self.event_action is EventAction.trigger and self.payload is None:
            raise ValueError("'payload' is missing: a trigger needs summary, source and severity")
        if self.event_action is not EventAction.trigger and self.dedup_key is None:
            raise ValueError(f"'dedup_key' is missing: {self.event_action.value} names the alert by its dedup_key")
        return self


@dataclass(frozen=True)
class Acknowledgement:
    """`acknowledge`: the alert that `key` opened, if still firing, is acknowledged."""

    origin: str
    key: str

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.origin, self.key)


def routing_key(body: str | bytes) -> str | None:
    """The event's `routing_key`, read before the rest is checked: it says who is asking."""
    try:
        document = json_limits.loads(body)
    except ValueError:
        return None
    key = document.get("routing_key") if isinstance(document, dict) else None
    return key if isinstance(key, str) and key else None


def command(event: Event, integration: Integration, now: datetime, new_key: str) -> Signal | Acknowledgement:
    """What the event does to the integration's alert under its dedup_key (``new_key`` for a
    trigger without one: the key the 202 hands back)."""
    origin = f"events:{integration.integration_id}"
    key = event.dedup_key or new_key
    if event.event_action is EventAction.acknowledge:
        return Acknowledgement(origin, key)
    at = now.replace(microsecond=0)  # the lifecycle remembers a source's time to the second
    if event.event_action is EventAction.resolve:
        return Signal(source=AlertSource.events, origin=origin, name=key, key=key, firing=False, at=at)
    payload = event.payload
    assert payload is not None  # a trigger has one (Event._action_needs)
    return Signal(
        source=AlertSource.events,
        origin=origin,
        name=payload.summary,
        key=key,
        firing=True,
        at=at,
        reason=payload.summary,
        severity=SEVERITIES[payload.severity],
        labels={**integration.labels, **labels_of(payload)},
        annotations=annotations_of(event, payload, key),
        source_url=_web_url(event.client_url),
    )


def labels_of(payload: Payload) -> dict[str, str]:
    """PD-CEF's fields that routes match on; `source` is the alert's own (`source=events`), so
    the event's is `event_source`."""
    found = {"event_source": payload.source, "component": payload.component, "group": payload.group}
    found["class"] = payload.class_
    return {name: _cut(value, MAX_LABEL_VALUE) for name, value in found.items() if value}


def annotations_of(event: Event, payload: Payload, key: str) -> dict[str, str]:
    """The summary, the event's context and its custom details (at most ``MAX_DETAILS``, each
    cut at ``MAX_ANNOTATION`` characters); our own names win over a detail's."""
    details = payload.custom_details
    entries = details if isinstance(details, dict) else ({} if details is None else {"custom_details": details})
    names = sorted(name for name in entries if name.strip())  # an item can hold no empty name
    annotations = {_cut(name, 128): _cut(_text(entries[name]), MAX_ANNOTATION) for name in names[:MAX_DETAILS]}
    if len(names) > MAX_DETAILS:
        annotations["custom_details_dropped"] = str(len(names) - MAX_DETAILS)
    own = {
        "summary": payload.summary,
        "dedup_key": key,
        "timestamp": iso(payload.timestamp) if payload.timestamp else "",
        "client": event.client,
        "client_url": _web_url(event.client_url) or "",
        "links": "\n".join(f"{link.text or link.href}: {link.href}" for link in event.links if _web_url(link.href)),
        "images": "\n".join(image.src for image in event.images if _web_url(image.src)),
    }
    annotations.update({name: _cut(value, MAX_ANNOTATION) for name, value in own.items() if value})
    return annotations


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - len(TRUNCATED)] + TRUNCATED


def _web_url(value: str) -> str | None:
    """A link we show only if it is http(s): never a `javascript:` one on the dashboard."""
    return value if value.lower().startswith(("https://", "http://")) else None
