"""The Alertmanager API v2 on our stores (§17): what its routes (`ingest.routes.alertmanager`)
do, in Alertmanager's shapes (`alerting.sources.prometheus`).

Posted alerts go through the alert lifecycle, each to the receivers its labels route to; the
alerts read back are every open alert, whatever its source; silences are the main API's (one
`SilenceService`); the routes are Alertmanager's receivers and `config.original`.
"""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from alerting import wiring
from alerting.errors import InvalidInput, NotFound
from alerting.kinds import INHIBITION, SILENCE
from alerting.lifecycle import AlertLifecycle
from alerting.lifecycle.signals import signal_labels
from alerting.limits import Limit
from alerting.models.alerts import AlertSource
from alerting.models.common import ID_PATTERN, utcnow
from alerting.models.inhibitions import Inhibition
from alerting.models.integrations import Integration
from alerting.models.signals import Signal, SignalOutcome
from alerting.models.silences import Matcher, Silence, SilenceState
from alerting.repositories.config import ConfigRepository
from alerting.routing import Router
from alerting.settings import IngestApiSettings
from alerting.silencing import SilenceService
from alerting.sources.prometheus import config, gettable, silences
from alerting.sources.prometheus.matchers import parse_filters
from alerting.sources.prometheus.postable import Posted, read_alerts
from alerting.sources.prometheus.shapes import (
    AlertGroup,
    AlertmanagerStatus,
    GettableAlert,
    GettableSilence,
    Receiver,
    SilenceCreated,
)

SILENCE_ID = re.compile(ID_PATTERN)
IO_THREADS = 16  # a batch's alerts at once (Prometheus sends up to 64 a request; a client may send 1,000)


def new_silence_id() -> str:
    """As Alertmanager names a silence: a UUID (ours take its 36 characters as they are)."""
    return str(uuid.uuid4())


@dataclass
class AlertmanagerApi:
    lifecycle: AlertLifecycle
    silences: SilenceService
    router: Router  # the stored routes: who hears an alert, and Alertmanager's receivers
    inhibitions: ConfigRepository[Inhibition]
    version: str
    started: datetime  # this instance's start: `uptime`

    # -- alerts --------------------------------------------------------------------------------------
    def post_alerts(
        self, body: str | None, integration: Integration, now: datetime
    ) -> tuple[Posted, list[SignalOutcome]]:
        """Each valid alert through the lifecycle, a batch's at once (each writes its own items;
        the routes read once); what was read, and what became of each."""
        posted = read_alerts(body, integration, now)
        routing = self.router.at(now)

        def receive(signal: Signal) -> SignalOutcome:
            return self.lifecycle.receive(signal, routing(signal_labels(signal)), now)

        if len(posted.signals) <= 1:
            return posted, [receive(s) for s in posted.signals]
        with ThreadPoolExecutor(max_workers=min(IO_THREADS, len(posted.signals))) as pool:
            return posted, list(pool.map(receive, posted.signals))

    def alerts(self, query: gettable.AlertQuery, now: datetime) -> list[GettableAlert]:
        open_alerts = self.lifecycle.alerts.open_alerts()
        prometheus = [a.fingerprint for a in open_alerts if a.source is AlertSource.prometheus]
        said = self.lifecycle.alerts.latest_many(prometheus) if prometheus else {}
        ends = {
            a.alert_id: latest.ends_at for a in open_alerts if (latest := said.get(a.fingerprint)) and latest.ends_at
        }
        quieting = gettable.Quieting(
            [s for s in self.silences.every() if s.state(now) is SilenceState.active],
            list(self.inhibitions.all()) if open_alerts else [],
            open_alerts,
        )
        tree = config.Tree.of(self.router.routes())
        return gettable.listed(open_alerts, query, quieting, tree.receivers, ends, now)

    def groups(self, query: gettable.AlertQuery, now: datetime, muted: bool = True) -> list[AlertGroup]:
        return gettable.groups(self.alerts(query, now), query, muted)

    # -- silences ------------------------------------------------------------------------------------
    def list_silences(self, filters: list[str], now: datetime) -> list[GettableSilence]:
        return silences.listed(self.silences.every(), query_matchers("filter", filters), now)

    def silence(self, silence_id: str, now: datetime) -> GettableSilence:
        return silences.gettable_silence(self._find(silence_id), now)

    def post_silence(self, body: str | None, now: datetime) -> SilenceCreated:
        """Alertmanager's: a new silence, or (with an `id`) that one changed in place or expired
        and replaced; NotFound for an `id` that names none."""
        silence_id, spec = silences.posted_silence(body, now)
        if not silence_id:
            created = self.silences.create(spec.model_copy(update={"silence_id": new_silence_id()}), now)
            return SilenceCreated(silenceID=created.silence_id)
        self._find(silence_id)
        return SilenceCreated(silenceID=self.silences.set(silence_id, spec, now, new_silence_id).silence_id)

    def expire(self, silence_id: str, now: datetime) -> None:
        """Alertmanager's: idempotent (an expired silence stays as it is)."""
        if self._find(silence_id).state(now) is not SilenceState.expired:
            self.silences.expire(silence_id, now)

    def _find(self, silence_id: str) -> Silence:
        """NotFound for an id that could name no silence (no read: a key DynamoDB would refuse)."""
        if not SILENCE_ID.match(silence_id):
            raise NotFound("silence", silence_id[:64])
        return self.silences.get(silence_id)

    # -- status --------------------------------------------------------------------------------------
    def status(self) -> AlertmanagerStatus:
        return config.status(config.Tree.of(self.router.routes()), self.version, self.started)

    def receivers(self) -> list[Receiver]:
        return config.Tree.of(self.router.routes()).every_receiver()


def query_matchers(name: str, texts: list[str]) -> list[Matcher]:
    """`filter` matchers; InvalidInput naming the query parameter for one that does not parse."""
    try:
        return parse_filters(texts)
    except ValueError as exc:
        raise InvalidInput(name, str(exc)) from None


def alertmanager_api(settings: IngestApiSettings, lifecycle: AlertLifecycle, router: Router) -> AlertmanagerApi:
    """Built once per container (``started`` is its start)."""
    limit = Limit("active or pending silences", settings.max_silences, "MaxSilences")
    return AlertmanagerApi(
        lifecycle=lifecycle,
        silences=SilenceService(wiring.config(settings, SILENCE), limit),
        router=router,
        inhibitions=wiring.config(settings, INHIBITION),
        version=settings.version,
        started=utcnow(),
    )
