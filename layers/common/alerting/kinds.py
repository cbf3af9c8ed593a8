"""The kinds of configuration, each described once: its models, its id, where it is stored, how the
API and rules as code name it, and what may refer to it.

The config table's repositories (`ConfigRepository(client, table, kind)`), the API's create /
list / get / replace / delete routes (`api.routes.resources`), the reference checks
(`alerting.references`) and rules as code (`alerting.rules_plan`) all read these descriptions: a
new kind of configuration is one more entry here, and one in the API's list of resources.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from alerting.models.channels import Channel, ChannelSpec
from alerting.models.common import Model
from alerting.models.heartbeats import Heartbeat, HeartbeatSpec
from alerting.models.inhibitions import Inhibition, InhibitionSpec
from alerting.models.integrations import Integration, IntegrationSpec
from alerting.models.mute_windows import MuteWindow, MuteWindowSpec
from alerting.models.policies import EscalationPolicy, EscalationPolicySpec
from alerting.models.routes import RouteSpec, StoredRoute
from alerting.models.rules import Rule, RuleSpec
from alerting.models.schedules import Schedule, ScheduleSpec
from alerting.models.silences import Silence, SilenceSpec

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Kind(Generic[M]):
    name: str  # "policy": the config table's partition key, and how errors name one ("policy 'web' ...")
    model: type[M]  # as stored and read back
    spec: type[Model]  # as the API takes it
    id_field: str  # "policy_id"
    label: str  # "escalation policy": how a 409 or a rules plan names one
    path: str  # "escalation-policies": its collection in the API
    section: str = ""  # "escalation_policies": its list in the rules folder ("": not in files)
    referred_by: tuple[Kind[Any], ...] = ()  # what may name one, in the order a 409 lists them

    def item_id(self, item: M) -> str:
        item_id: str = getattr(item, self.id_field)
        return item_id


RULE = Kind("rule", Rule, RuleSpec, "rule_id", "rule", "rules", section="rules")
# Alertmanager's routing tree: each item a top-level route (`alerting.routing`)
ROUTE = Kind("route", StoredRoute, RouteSpec, "route_id", "route", "routes", section="routes")
POLICY = Kind(
    "policy",
    EscalationPolicy,
    EscalationPolicySpec,
    "policy_id",
    "escalation policy",
    "escalation-policies",
    section="escalation_policies",
    referred_by=(RULE, ROUTE),
)
SCHEDULE = Kind(
    "schedule", Schedule, ScheduleSpec, "schedule_id", "schedule", "schedules", "schedules", referred_by=(POLICY,)
)
# Channels are not files: their secrets go through the API to SSM.
CHANNEL = Kind(
    "channel", Channel, ChannelSpec, "channel_id", "channel", "channels", referred_by=(RULE, POLICY, SCHEDULE, ROUTE)
)
SILENCE = Kind("silence", Silence, SilenceSpec, "silence_id", "silence", "silences")
MUTE_WINDOW = Kind(
    "mute_window",
    MuteWindow,
    MuteWindowSpec,
    "mute_window_id",
    "mute window",
    "mute-windows",
    "mute_windows",
    referred_by=(ROUTE,),
)
INHIBITION = Kind("inhibition", Inhibition, InhibitionSpec, "inhibition_id", "inhibition", "inhibitions", "inhibitions")
# Heartbeats are not files: each has a ping key, shown once by the API.
HEARTBEAT = Kind("heartbeat", Heartbeat, HeartbeatSpec, "heartbeat_id", "heartbeat", "heartbeats")
# Integrations are not files either: a key is shown once, in the API's answer.
INTEGRATION = Kind("integration", Integration, IntegrationSpec, "integration_id", "integration", "integrations")

KINDS: tuple[Kind[Any], ...] = (
    RULE,
    CHANNEL,
    POLICY,
    SCHEDULE,
    SILENCE,
    MUTE_WINDOW,
    INHIBITION,
    INTEGRATION,
    HEARTBEAT,
    ROUTE,
)
REFERRERS = CHANNEL.referred_by  # every kind that names another: rules, policies, schedules, then routes
