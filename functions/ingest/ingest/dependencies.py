"""The ingest API's services, built from its settings with `alerting.wiring` (clients are shared).

The handler answers each request with the services it is handed, or those built from the
environment once per container (`default`); the door and the routes reach them through
`services()`.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache

from alerting import wiring
from alerting.kinds import HEARTBEAT, INTEGRATION
from alerting.lifecycle import AlertLifecycle
from alerting.repositories.quotas import Rate
from alerting.settings import IngestApiSettings
from ingest.ack_service import AckLinkService, ack_links
from ingest.alarm_service import Route
from ingest.alertmanager_service import AlertmanagerApi, alertmanager_api
from ingest.gate import Gate
from ingest.ping_service import Pings
from ingest.slack_service import SlackInteractions, slack_interactions

RATE = "ingest"  # the token buckets' name in the config table (quota items)


@dataclass(frozen=True)
class Services:
    gate: Gate
    lifecycle: AlertLifecycle  # the only writer of alerts from outside sources
    route: Route  # an alert's labels → who hears it
    pings: Pings  # heartbeats' pings
    alertmanager: AlertmanagerApi  # the Alertmanager API v2
    acks: AckLinkService  # acknowledge links from e-mail and SMS
    slack: SlackInteractions  # Slack's button clicks


def build(settings: IngestApiSettings) -> Services:
    heartbeats = wiring.heartbeats(settings)
    lifecycle = AlertLifecycle(wiring.alerts(settings), wiring.states(settings))
    router = wiring.router(settings)  # the stored routes, read again once they change
    return Services(
        gate=Gate(
            keys=wiring.keys(settings),
            owners={
                INTEGRATION.name: wiring.config(settings, INTEGRATION).find,
                HEARTBEAT.name: heartbeats.config.find,
            },
            limiter=wiring.rate_limiter(settings),
            rate=Rate(RATE, settings.ingest_rate_limit, settings.ingest_burst),
        ),
        lifecycle=lifecycle,
        route=router,
        pings=Pings(heartbeats, lifecycle, router),
        alertmanager=alertmanager_api(settings, lifecycle, router),
        acks=ack_links(settings, lifecycle),
        slack=slack_interactions(settings, lifecycle),
    )


default = cache(build)  # once per container: its settings do not change while it runs
given: ContextVar[Services | None] = ContextVar("services", default=None)  # by the handler, for one request


def services() -> Services:
    """The services of the request being answered."""
    return given.get() or default(IngestApiSettings.from_env())
