"""The create, list, get, replace and delete routes of a kind of configuration, made from its
description (`alerting.kinds`) and how the API shows it (`Resource`).

Each route is an ordinary Powertools route: its signature (the path's id named after the kind,
the body's model, the page parameters) is what Powertools validates and documents, and its name
gives the operation id (`create_policy`, `list_policies`...).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel

from alerting.audit import note_of
from alerting.kinds import Kind
from alerting.models.common import Page, utcnow
from api.dependencies import services
from api.routes import DEFAULT_LIMIT, Id, IfMatch, Limit, NextToken, audited, caller

CREATE, LIST, GET, UPDATE, DELETE = "create", "list", "get", "update", "delete"
EVERY = (CREATE, LIST, GET, UPDATE, DELETE)


class Crud(Protocol):
    """What a resource's service answers: the API's services of configuration have these."""

    def create(self, spec: Any, now: datetime) -> Any: ...
    def page(self, limit: int, next_token: str | None) -> Any: ...
    def get(self, item_id: str) -> Any: ...
    def update(self, item_id: str, body: Any, if_match: str | None, now: datetime) -> Any: ...
    def delete(self, item_id: str) -> None: ...


@dataclass(frozen=True)
class Resource:
    kind: Kind[Any]
    title: str  # "on-call schedule": how a summary names one
    tag: str  # "on-call schedules": its group in the OpenAPI document
    plural: str  # "schedules": in its operation ids (list_schedules), and its service (`Services.schedules`)
    update: type[BaseModel] | None = None  # the PUT body: the spec and what a GET showed besides
    view: type[BaseModel] | None = None  # what a response shows, where not the stored model
    shown: str = ""  # what "Get a channel" says it shows: " (secrets shown as set / not set)"

    @property
    def shows(self) -> Any:
        return self.view or self.kind.model

    def name_of(self, item: Any) -> str:
        """How the audit log names ``item``: `<kind>/<id>`."""
        return f"{self.kind.name}/{getattr(item, self.kind.id_field)}"

    def service(self) -> Crud:
        found: Crud = getattr(services(), self.plural)
        return found


def add_routes(router: Router, resource: Resource, operations: tuple[str, ...] = EVERY) -> None:
    """``operations`` of ``resource`` on ``router``, in that order."""
    for operation in operations:
        _ROUTES[operation](router, resource)


def _a(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _create(router: Router, resource: Resource) -> None:
    def create(spec: Any) -> Any:
        note = ""
        if "created_by" in type(spec).model_fields:  # who authenticated; what the body said is a note
            note = note_of(spec.created_by, "", caller(router))
            spec = spec.model_copy(update={"created_by": caller(router)})
        created = resource.service().create(spec, utcnow())
        audited(router, "create", resource.name_of(created), after=created, note=note)
        return created

    spec = _param("spec", resource.kind.spec)
    route = _route(f"create_{resource.kind.name}", create, [spec], resource.shows)
    router.post(f"/{resource.kind.path}", status_code=201, tags=[resource.tag], summary=f"Create {_a(resource.title)}")(
        route
    )


def _list(router: Router, resource: Resource) -> None:
    def page(limit: int, next_token: str | None) -> Any:
        return resource.service().page(limit, next_token)

    params = [_param("limit", Limit, DEFAULT_LIMIT), _param("next_token", NextToken, None)]
    route = _route(f"list_{resource.plural}", page, params, Page[resource.shows])  # type: ignore[name-defined]
    router.get(f"/{resource.kind.path}", tags=[resource.tag], summary=f"List {resource.tag}")(route)


def _get(router: Router, resource: Resource) -> None:
    id_field = resource.kind.id_field

    def get(**values: Any) -> Any:
        return resource.service().get(values[id_field])

    route = _route(f"get_{resource.kind.name}", get, [_param(id_field, Id)], resource.shows)
    summary = f"Get {_a(resource.title)}{resource.shown}"
    router.get(f"/{resource.kind.path}/<{id_field}>", tags=[resource.tag], summary=summary)(route)


def _update(router: Router, resource: Resource) -> None:
    id_field = resource.kind.id_field

    def update(body: Any, if_match: str | None, **values: Any) -> Any:
        before = resource.service().get(values[id_field])
        replaced = resource.service().update(values[id_field], body, if_match, utcnow())
        audited(router, "update", resource.name_of(replaced), before=before, after=replaced)
        return replaced

    params = [_param(id_field, Id), _param("body", resource.update), _param("if_match", IfMatch, None)]
    route = _route(f"update_{resource.kind.name}", update, params, resource.shows)
    noun = resource.kind.name.replace("_", " ")
    summary = f"Replace {_a(noun)} (needs the version you read)"
    router.put(f"/{resource.kind.path}/<{id_field}>", tags=[resource.tag], summary=summary)(route)


def _delete(router: Router, resource: Resource) -> None:
    id_field = resource.kind.id_field

    def delete(**values: Any) -> Response[None]:
        resource.service().delete(values[id_field])
        audited(router, "delete", f"{resource.kind.name}/{values[id_field]}")
        return Response(status_code=204)

    route = _route(f"delete_{resource.kind.name}", delete, [_param(id_field, Id)], Response[None])
    noun = ("unused " if resource.kind.referred_by else "") + resource.kind.name.replace("_", " ")
    path = f"/{resource.kind.path}/<{id_field}>"
    router.delete(path, status_code=204, tags=[resource.tag], summary=f"Delete {_a(noun)}")(route)


_ROUTES: dict[str, Callable[[Router, Resource], None]] = {
    CREATE: _create,
    LIST: _list,
    GET: _get,
    UPDATE: _update,
    DELETE: _delete,
}


def _param(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def _route(name: str, call: Callable[..., Any], params: list[inspect.Parameter], returns: Any) -> Callable[..., Any]:
    """``call`` as a route named ``name`` whose signature is ``params`` → ``returns``: what
    Powertools reads to validate the request and to document the operation."""

    def route(**values: Any) -> Any:
        return call(**values)

    route.__name__ = route.__qualname__ = name
    route.__signature__ = inspect.Signature(params, return_annotation=returns)  # type: ignore[attr-defined]
    return route
