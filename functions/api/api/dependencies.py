"""The API's services, built from its settings with `alerting.wiring` (clients are shared).

The handler answers each request with the services it is handed, or those built from the
environment once per container (`default`); routes reach them through `services()`.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from functools import cache, partial

from alerting import wiring
from alerting.kinds import CHANNEL, INHIBITION, INTEGRATION, KINDS, MUTE_WINDOW, POLICY, ROUTE, RULE, SCHEDULE, SILENCE
from alerting.lifecycle import AlertLifecycle
from alerting.limits import Limit
from alerting.models.inhibitions import Inhibition
from alerting.models.mute_windows import MuteWindow
from alerting.models.policies import EscalationPolicy
from alerting.models.routes import StoredRoute
from alerting.models.schedules import Schedule
from alerting.repositories.audit import AuditRepository
from alerting.routing import Router
from alerting.settings import ApiSettings
from alerting.silencing import SilenceService
from api.services.alerts import AlertService
from api.services.backtests import BacktestService
from api.services.channels import ChannelService
from api.services.datapoints import DatapointReader
from api.services.dry_run import RuleTester
from api.services.heartbeats import HeartbeatService
from api.services.integrations import IntegrationService
from api.services.references import References
from api.services.reports import ReportService
from api.services.resources import ResourceService
from api.services.rules import RuleService


@dataclass(frozen=True)
class Services:
    rules: RuleService
    alerts: AlertService
    channels: ChannelService
    policies: ResourceService[EscalationPolicy]
    schedules: ResourceService[Schedule]
    mute_windows: ResourceService[MuteWindow]
    inhibitions: ResourceService[Inhibition]
    routes: ResourceService[StoredRoute]
    router: Router  # GET /routes/test: the routes as an alert opening now reads them
    silences: SilenceService
    tester: RuleTester
    backtests: BacktestService
    datapoints: DatapointReader
    reports: ReportService
    integrations: IntegrationService
    heartbeats: HeartbeatService
    audit: AuditRepository  # every write of the API, and who made it


def build(settings: ApiSettings) -> Services:
    references = References({kind.name: wiring.config(settings, kind) for kind in KINDS})
    alert_items, states = wiring.alerts(settings), wiring.states(settings)
    lifecycle = AlertLifecycle(alert_items, states)
    alerts = AlertService(alert_items, lifecycle)
    rules = RuleService(wiring.config(settings, RULE), references, alerts)
    metrics = wiring.metrics(settings)
    return Services(
        rules=rules,
        alerts=alerts,
        channels=channels(settings, references),
        policies=ResourceService(POLICY, wiring.config(settings, POLICY), references),
        schedules=ResourceService(SCHEDULE, wiring.config(settings, SCHEDULE), references),
        mute_windows=ResourceService(
            MUTE_WINDOW,
            wiring.config(settings, MUTE_WINDOW),
            references,
            Limit("mute windows", settings.max_mute_windows, "MaxMuteWindows"),
        ),
        inhibitions=ResourceService(
            INHIBITION,
            wiring.config(settings, INHIBITION),
            references,
            Limit("inhibitions", settings.max_inhibitions, "MaxInhibitions"),
        ),
        routes=ResourceService(ROUTE, wiring.config(settings, ROUTE), references),
        router=wiring.router(settings),
        silences=SilenceService(
            wiring.config(settings, SILENCE), Limit("active or pending silences", settings.max_silences, "MaxSilences")
        ),
        # a dry run lists what is there now: no cached list
        tester=RuleTester(metrics, states, wiring.directory(settings, max_age=timedelta(0))),
        # a backtest's fleet: every series ListMetrics knows from two weeks, as of now (uncached)
        backtests=BacktestService(
            rules,
            metrics,
            wiring.directory(settings, max_age=timedelta(0)),
            wiring.config(settings, SILENCE),
            wiring.config(settings, MUTE_WINDOW),
            wiring.config(settings, POLICY),
        ),
        datapoints=DatapointReader(metrics),
        reports=ReportService(
            alert_items,
            wiring.run_log(settings),
            wiring.dead_letter_queues(settings),
            version=settings.version,
            rules=wiring.config(settings, RULE),
            channels=wiring.config(settings, CHANNEL),
            states=states,
        ),
        integrations=IntegrationService(wiring.config(settings, INTEGRATION), wiring.keys(settings)),
        heartbeats=HeartbeatService(wiring.heartbeats(settings), lifecycle),
        audit=wiring.audit(settings),
    )


def channels(settings: ApiSettings, references: References) -> ChannelService:
    return ChannelService(
        wiring.config(settings, CHANNEL),
        partial(references.users, CHANNEL),
        # no cache: a test right after a rotation on another instance uses the new secret
        wiring.secrets(settings, max_age=0),
        wiring.senders(settings),
        quotas=wiring.quotas(settings),
        allow_private=settings.allow_private_targets,
        email_senders=settings.email_senders,
        sns_topics=settings.sns_topics,
        sms_country_codes=settings.sms_destinations,
        console_url=settings.console_url,
    )


default = cache(build)  # once per container: its settings do not change while it runs
given: ContextVar[Services | None] = ContextVar("services", default=None)  # by the handler, for one request


def services() -> Services:
    """The services of the request being answered."""
    return given.get() or default(ApiSettings.from_env())
