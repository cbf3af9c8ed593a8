"""/schedules (who is on call), /mute-windows (recurring quiet times) and /inhibitions (an open
alert keeps related ones quiet): configuration the notifier reads."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from alerting.models.common import Page, UtcDatetime, utcnow
from alerting.models.inhibitions import Inhibition, InhibitionSpec
from alerting.models.mute_windows import MuteWindow, MuteWindowSpec
from alerting.models.schedules import Schedule, ScheduleSpec
from api.dependencies import services
from api.routes import DEFAULT_LIMIT, Id, IfMatch, Limit, NextToken, new_router
from api.schemas import InhibitionUpdate, MuteWindowUpdate, OnCallView, ScheduleUpdate

router = new_router()
SCHEDULES, MUTES, INHIBITIONS = ["on-call schedules"], ["mute windows"], ["inhibitions"]
At = Annotated[UtcDatetime | None, Query(description="ISO-8601 instant; now when left out")]


@router.post("/schedules", status_code=201, tags=SCHEDULES, summary="Create an on-call schedule")
def create_schedule(spec: ScheduleSpec) -> Schedule:
    return services().schedules.create(spec, utcnow())


@router.get("/schedules", tags=SCHEDULES, summary="List on-call schedules")
def list_schedules(limit: Limit = DEFAULT_LIMIT, next_token: NextToken = None) -> Page[Schedule]:
    return services().schedules.page(limit, next_token)


@router.get("/schedules/<schedule_id>", tags=SCHEDULES, summary="Get an on-call schedule")
def get_schedule(schedule_id: Id) -> Schedule:
    return services().schedules.get(schedule_id)


@router.get("/schedules/<schedule_id>/oncall", tags=SCHEDULES, summary="Who is on call at a time")
def get_on_call(schedule_id: Id, at: At = None) -> OnCallView:
    moment = at or utcnow()
    found = services().schedules.get(schedule_id).on_call(moment)
    return OnCallView(
        schedule_id=schedule_id,
        at=moment,
        participant=found.participant,
        from_=found.starts_at,
        until=found.ends_at,
        override=found.override,
    )


@router.put("/schedules/<schedule_id>", tags=SCHEDULES, summary="Replace a schedule (needs the version you read)")
def update_schedule(schedule_id: Id, body: ScheduleUpdate, if_match: IfMatch = None) -> Schedule:
    return services().schedules.update(schedule_id, body, if_match, utcnow())


@router.delete("/schedules/<schedule_id>", status_code=204, tags=SCHEDULES, summary="Delete an unused schedule")
def delete_schedule(schedule_id: Id) -> Response[None]:
    services().schedules.delete(schedule_id)
    return Response(status_code=204)


@router.post("/mute-windows", status_code=201, tags=MUTES, summary="Create a mute window")
def create_mute_window(spec: MuteWindowSpec) -> MuteWindow:
    return services().mute_windows.create(spec, utcnow())


@router.get("/mute-windows", tags=MUTES, summary="List mute windows")
def list_mute_windows(limit: Limit = DEFAULT_LIMIT, next_token: NextToken = None) -> Page[MuteWindow]:
    return services().mute_windows.page(limit, next_token)


@router.get("/mute-windows/<mute_window_id>", tags=MUTES, summary="Get a mute window")
def get_mute_window(mute_window_id: Id) -> MuteWindow:
    return services().mute_windows.get(mute_window_id)


@router.put("/mute-windows/<mute_window_id>", tags=MUTES, summary="Replace a mute window (needs the version you read)")
def update_mute_window(mute_window_id: Id, body: MuteWindowUpdate, if_match: IfMatch = None) -> MuteWindow:
    return services().mute_windows.update(mute_window_id, body, if_match, utcnow())


@router.delete("/mute-windows/<mute_window_id>", status_code=204, tags=MUTES, summary="Delete a mute window")
def delete_mute_window(mute_window_id: Id) -> Response[None]:
    services().mute_windows.delete(mute_window_id)
    return Response(status_code=204)


@router.post("/inhibitions", status_code=201, tags=INHIBITIONS, summary="Create an inhibition")
def create_inhibition(spec: InhibitionSpec) -> Inhibition:
    return services().inhibitions.create(spec, utcnow())


@router.get("/inhibitions", tags=INHIBITIONS, summary="List inhibitions")
def list_inhibitions(limit: Limit = DEFAULT_LIMIT, next_token: NextToken = None) -> Page[Inhibition]:
    return services().inhibitions.page(limit, next_token)


@router.get("/inhibitions/<inhibition_id>", tags=INHIBITIONS, summary="Get an inhibition")
def get_inhibition(inhibition_id: Id) -> Inhibition:
    return services().inhibitions.get(inhibition_id)


@router.put(
    "/inhibitions/<inhibition_id>", tags=INHIBITIONS, summary="Replace an inhibition (needs the version you read)"
)
def update_inhibition(inhibition_id: Id, body: InhibitionUpdate, if_match: IfMatch = None) -> Inhibition:
    return services().inhibitions.update(inhibition_id, body, if_match, utcnow())


@router.delete("/inhibitions/<inhibition_id>", status_code=204, tags=INHIBITIONS, summary="Delete an inhibition")
def delete_inhibition(inhibition_id: Id) -> Response[None]:
    services().inhibitions.delete(inhibition_id)
    return Response(status_code=204)
