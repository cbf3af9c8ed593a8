"""/escalation-policies (who hears of an alert nobody acknowledges, level by level), /schedules
(who is on call), /mute-windows (recurring quiet times) and /inhibitions (an open alert keeps
related ones quiet): configuration the notifier reads."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from alerting.kinds import INHIBITION, MUTE_WINDOW, POLICY, SCHEDULE
from alerting.models.common import UtcDatetime, utcnow
from api.dependencies import services
from api.routes import Id, new_router
from api.routes.crud import CREATE, DELETE, GET, LIST, UPDATE, Resource, add_routes
from api.schemas import EscalationPolicyUpdate, InhibitionUpdate, MuteWindowUpdate, OnCallView, ScheduleUpdate

router = new_router()
POLICIES = Resource(POLICY, "escalation policy", "escalation policies", "policies", EscalationPolicyUpdate)
SCHEDULES = Resource(SCHEDULE, "on-call schedule", "on-call schedules", "schedules", ScheduleUpdate)
MUTE_WINDOWS = Resource(MUTE_WINDOW, "mute window", "mute windows", "mute_windows", MuteWindowUpdate)
INHIBITIONS = Resource(INHIBITION, "inhibition", "inhibitions", "inhibitions", InhibitionUpdate)
At = Annotated[UtcDatetime | None, Query(description="ISO-8601 instant; now when left out")]

add_routes(router, POLICIES)
add_routes(router, SCHEDULES, (CREATE, LIST, GET))


@router.get("/schedules/<schedule_id>/oncall", tags=[SCHEDULES.tag], summary="Who is on call at a time")
def get_on_call(schedule_id: Id, at: At = None) -> OnCallView:
    moment = at or utcnow()
    return OnCallView.of(schedule_id, moment, services().schedules.get(schedule_id).on_call(moment))


add_routes(router, SCHEDULES, (UPDATE, DELETE))
add_routes(router, MUTE_WINDOWS)
add_routes(router, INHIBITIONS)
