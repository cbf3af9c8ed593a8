"""CloudWatch alarms through EventBridge (§16): an alarm's state-change event, with what the
alarm itself carries (its tags, its threshold), becomes a `Signal`, or the reason it is ignored.

EventBridge sends `CloudWatch Alarm State Change` for metric, metric-math, anomaly-detection,
Metrics Insights and composite alarms, and `CloudWatch Alarm Contributor State Change` for each
time series (contributor) of a Metrics Insights alarm whose query groups (GROUP BY); both are
read in ``alarm_events``.

One alert per alarm (key ""), or per contributor (key: the contributor's id): a grouped alarm's
own state change ("6 out of 6 time series evaluated to ALARM") is ignored, its contributors
carry the alerts. The event's state timestamp orders events; its id tells a redelivery.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import quote

from alerting.models.alerts import AlertSource
from alerting.models.common import Severity
from alerting.models.integrations import InsufficientData, IntegrationSpec
from alerting.models.signals import Signal
from alerting.sources.alarm_events import ALARM_ARN, AlarmConfiguration, AlarmEvent

IGNORE_TAG = "alerting:ignore"  # any value: the alarm never becomes an alert
SEVERITY_TAG = "severity"
CONSOLES = {
    "aws": "console.aws.amazon.com",
    "aws-cn": "console.amazonaws.cn",
    "aws-us-gov": "console.amazonaws-us-gov.com",
}
# SELECT AVG(CPUUtilization) FROM SCHEMA("AWS/EC2", InstanceId) ... : the metric and its namespace
INSIGHTS_QUERY = re.compile(
    r'^\s*SELECT\s+\w+\(\s*"?(?P<metric>[^")]+?)"?\s*\)\s+FROM\s+(?:SCHEMA\(\s*)?"?(?P<namespace>[^",)\s]+)', re.I
)
GROUPED_QUERY = re.compile(r"\bGROUP\s+BY\b", re.I)


class IgnoreReason(StrEnum):
    """Why an alarm's event opens and resolves nothing (each is counted and logged)."""

    integration_disabled = "integration_disabled"  # the cloudwatch integration is disabled
    outside_ingest_alarms = "outside_ingest_alarms"  # the IngestAlarms parameter does not select it
    ignore_tag = "ignore_tag"  # tagged alerting:ignore
    insufficient_data = "insufficient_data"  # INSUFFICIENT_DATA, which the cloudwatch integration ignores
    contributors_alert = "contributors_alert"  # a grouped alarm's own state: its contributors carry the alerts


@dataclass(frozen=True)
class AlarmFacts:
    """What the alarm says beyond its event: its tags, threshold and description."""

    tags: Mapping[str, str] = field(default_factory=dict)
    threshold: float | None = None
    description: str = ""


# -- which events become signals ---------------------------------------------------------------


@dataclass(frozen=True)
class AlarmSelection:
    """The `IngestAlarms` parameter: `all`, `none`, or alarm-name prefixes separated by commas."""

    prefixes: tuple[str, ...] | None  # None: every alarm

    @classmethod
    def parse(cls, value: str) -> AlarmSelection:
        keyword = value.strip().lower()
        if keyword == "all":
            return cls(None)
        if keyword == "none":
            return cls(())
        prefixes = tuple(p.strip() for p in value.split(",") if p.strip())
        if not prefixes:
            raise ValueError("IngestAlarms must be all, none or alarm-name prefixes separated by commas")
        return cls(prefixes)

    def admits(self, alarm_name: str) -> bool:
        return self.prefixes is None or alarm_name.startswith(self.prefixes)


def firing(state: str, insufficient_data: InsufficientData) -> bool | None:
    """ALARM fires, OK resolves, INSUFFICIENT_DATA as the integration says (None: ignored)."""
    if state != "INSUFFICIENT_DATA":
        return state == "ALARM"
    return {InsufficientData.alert: True, InsufficientData.resolve: False}.get(insufficient_data)


def watches_contributors(event: AlarmEvent) -> bool:
    """A Metrics Insights alarm whose query groups: each time series is a contributor."""
    return any(GROUPED_QUERY.search(q.expression) for q in event.detail.configuration.metrics)


def screen(event: AlarmEvent, selection: AlarmSelection, integration: IntegrationSpec) -> IgnoreReason | None:
    """What the event alone decides, before the alarm's tags are read."""
    if not integration.enabled:
        return IgnoreReason.integration_disabled
    if not selection.admits(event.detail.alarm_name):
        return IgnoreReason.outside_ingest_alarms
    if event.contributor is None and watches_contributors(event):
        return IgnoreReason.contributors_alert
    if firing(event.detail.state.value, integration.insufficient_data) is None:
        return IgnoreReason.insufficient_data
    return None


def alarm_signal(event: AlarmEvent, facts: AlarmFacts, integration: IntegrationSpec) -> Signal | IgnoreReason:
    """The event as a signal about the alarm's (or its contributor's) alert."""
    if IGNORE_TAG in facts.tags:
        return IgnoreReason.ignore_tag
    fires = firing(event.detail.state.value, integration.insufficient_data)
    if fires is None:
        return IgnoreReason.insufficient_data
    detail, contributor = event.detail, event.contributor
    name, severity = detail.alarm_name, severity_of(facts.tags, integration.severity)
    if contributor is not None:
        name += f" ({', '.join(f'{k}={v}' for k, v in sorted(contributor.attributes.items()))})"
    return Signal(
        source=AlertSource.cloudwatch,
        origin=f"cloudwatch:{event.arn}",
        name=name,
        key=contributor.id if contributor else "",
        firing=fires,
        # Whole seconds: the lifecycle remembers a source's latest time to the second, and a
        # redelivered event must compare equal to it.
        at=detail.state.timestamp.replace(microsecond=0),
        event_id=event.id,
        reason=detail.state.reason,
        severity=severity,
        labels={**labels_of(event, facts, integration), SEVERITY_TAG: severity.value},
        annotations=annotations_of(event, facts),
        source_url=console_url(event.arn, detail.alarm_name),
    )


# -- what the alert carries -------------------------------------------------------------------


def severity_of(tags: Mapping[str, str], default: Severity) -> Severity:
    """The `severity` tag if it names a severity (any case), else the integration's."""
    value = tags.get(SEVERITY_TAG, "").strip().lower()
    return Severity(value) if value in Severity.__members__ else default


def labels_of(event: AlarmEvent, facts: AlarmFacts, integration: IntegrationSpec) -> dict[str, str]:
    """The integration's labels, under the metric's dimensions (or the contributor's attributes),
    under the alarm's tags; `alarm_name`, `namespace` and `metric` always say what they are."""
    namespace, metric, dimensions = watched_metric(event.detail.configuration)
    contributor = event.contributor
    labels = {**integration.labels, **dimensions, **(contributor.attributes if contributor else {}), **facts.tags}
    labels["alarm_name"] = event.detail.alarm_name
    labels.update({k: v for k, v in (("namespace", namespace), ("metric", metric)) if v})
    return labels


def watched_metric(configuration: AlarmConfiguration) -> tuple[str, str, dict[str, str]]:
    """(namespace, metric, dimensions) of what the alarm watches, as far as its configuration says.

    One metric (an anomaly band around it too): that metric. Metric math: the namespace and
    dimensions its metrics share, and the expression's label. A Metrics Insights query: the
    metric and namespace it selects from. A composite alarm: nothing."""
    stats = [q.metric_stat.metric for q in configuration.metrics if q.metric_stat is not None]
    returned = next((q for q in configuration.metrics if q.return_data and q.metric_stat is None), None)
    if len(stats) == 1:
        return stats[0].namespace, stats[0].name, dict(stats[0].dimensions)
    if stats:
        namespaces = {s.namespace for s in stats}
        shared = {k: v for k, v in stats[0].dimensions.items() if all(s.dimensions.get(k) == v for s in stats)}
        label = (returned.label or returned.expression) if returned else ""
        return (namespaces.pop() if len(namespaces) == 1 else ""), label, shared
    query = INSIGHTS_QUERY.match(returned.expression) if returned else None
    return (query["namespace"], query["metric"], {}) if query else ("", "", {})


def annotations_of(event: AlarmEvent, facts: AlarmFacts) -> dict[str, str]:
    """The alarm's reason, threshold, state value and description; whether CloudWatch muted or
    suppressed its own actions (this system still pages: a silence quiets it here)."""
    state = event.detail.state
    threshold = _reason_threshold(state.reason_data)
    threshold = facts.threshold if threshold is None else threshold
    mute = event.detail.mute_detail
    description = event.detail.configuration.description or facts.description
    found = {
        # what every channel shows first: the alarm's description, else why it changed state
        "summary": description or state.reason,
        "reason": state.reason,
        "state_value": state.value,
        "threshold": "" if threshold is None else _number(threshold),
        "description": description,
        "contributor_id": event.contributor.id if event.contributor else "",
        "alarm_rule": event.detail.configuration.alarm_rule,
        "muted_by": mute.muted_by_arn if mute else "",
        "actions_suppressed_by": state.actions_suppressed_by,
    }
    return {k: v for k, v in found.items() if v}


def _reason_threshold(reason_data: str) -> float | None:
    """The threshold the alarm compared against at this evaluation (metric alarms say so)."""
    try:
        data = json.loads(reason_data) if reason_data else {}
    except json.JSONDecodeError:
        return None
    value = data.get("threshold") if isinstance(data, dict) else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def console_url(arn: str, alarm_name: str) -> str | None:
    """The alarm in the CloudWatch console of its region (None for a partition without one known)."""
    match = ALARM_ARN.match(arn)
    host = CONSOLES.get(match["partition"]) if match else None
    if match is None or host is None:
        return None
    region = match["region"]
    return f"https://{region}.{host}/cloudwatch/home?region={region}#alarmsV2:alarm/{quote(alarm_name, safe='')}"
