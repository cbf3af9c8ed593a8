"""/integrations: how outside systems are let in; a keyed type's key is shown once (the 201 of
its creation or of a rotation), never in a later read."""

from __future__ import annotations

from alerting.kinds import INTEGRATION
from alerting.models.common import utcnow
from alerting.models.integrations import IntegrationSpec
from api.dependencies import services
from api.routes import Id, audited, new_router
from api.routes.crud import DELETE, GET, LIST, UPDATE, Resource, add_routes
from api.schemas.integrations import IntegrationCreated, IntegrationUpdate, IntegrationView

router = new_router()
INTEGRATIONS = Resource(
    INTEGRATION,
    "integration",
    "integrations",
    "integrations",
    update=IntegrationUpdate,
    view=IntegrationView,
    shown=" (its key never: a hint of it)",
)
TAGS = [INTEGRATIONS.tag]


@router.post("/integrations", status_code=201, tags=TAGS, summary="Create an integration (its key shown this once)")
def create_integration(spec: IntegrationSpec) -> IntegrationCreated:
    created = services().integrations.create(spec, utcnow())
    audited(router, "create", INTEGRATIONS.name_of(created), after=created)  # its key: never (alerting.audit)
    return created


add_routes(router, INTEGRATIONS, (LIST, GET, UPDATE, DELETE))


@router.post(
    "/integrations/<integration_id>/rotate",
    status_code=201,
    tags=TAGS,
    summary="Replace an integration's key (the new one shown this once; the old one stops working at once)",
)
def rotate_integration_key(integration_id: Id) -> IntegrationCreated:
    rotated = services().integrations.rotate(integration_id, utcnow())
    audited(router, "rotate", f"integration/{integration_id}")
    return rotated
