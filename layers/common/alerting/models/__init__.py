"""Pydantic models at every boundary: API, table items, stream records, settings."""

from alerting.models.alerts import (
    Alert,
    AlertKind,
    ConditionValue,
    Resolution,
    SeriesState,
    SeriesStatus,
    Transition,
)
from alerting.models.channels import (
    Channel,
    ChannelFilters,
    ChannelSpec,
    ChannelType,
    DeliveryRecord,
    DeliveryStatus,
    MessageTemplate,
)
from alerting.models.common import (
    OPEN_STATUSES,
    AlertEvent,
    AlertStatus,
    Category,
    Page,
    Severity,
)
from alerting.models.conditions import Condition, MetricSpec, Operator
from alerting.models.policies import EscalationLevel, EscalationPolicy, EscalationPolicySpec, EscalationTarget
from alerting.models.reports import AlertSummary, EvaluationSummary, Health, RuleNoise
from alerting.models.rules import Match, MissingData, Rule, RuleSpec

__all__ = [
    "OPEN_STATUSES",
    "Alert",
    "AlertEvent",
    "AlertKind",
    "AlertStatus",
    "AlertSummary",
    "Category",
    "Channel",
    "ChannelFilters",
    "ChannelSpec",
    "ChannelType",
    "Condition",
    "ConditionValue",
    "DeliveryRecord",
    "DeliveryStatus",
    "EscalationLevel",
    "EscalationPolicy",
    "EscalationPolicySpec",
    "EscalationTarget",
    "EvaluationSummary",
    "Health",
    "Match",
    "MessageTemplate",
    "MetricSpec",
    "MissingData",
    "Operator",
    "Page",
    "Resolution",
    "Rule",
    "RuleNoise",
    "RuleSpec",
    "SeriesState",
    "SeriesStatus",
    "Severity",
    "Transition",
]
