"""Every repository and adapter, built from a function's settings: the one place that knows which
client, table, queue and option each is handed.

A handler asks here for what it talks to (``wiring.config(settings, RULE)``), builds its service
from that once per container, and takes the service as an optional argument
(``handler(event, context, evaluator=None)``): a test hands in its own instead of clearing
caches or patching the environment. Clients are shared, one per AWS service, region and endpoint
(`alerting.repositories.clients`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

from pydantic import BaseModel

from alerting.ack_links import AckLinks
from alerting.caching import Generations, VersionedCache
from alerting.channels import HttpClient, Sender, sender_for
from alerting.discovery import CACHE_AGE, MetricDirectory
from alerting.kinds import INTEGRATION, ROUTE, Kind
from alerting.models.channels import Channel
from alerting.models.integrations import Integration, IntegrationType
from alerting.repositories import clients
from alerting.repositories.ack_links import AckLinkStore
from alerting.repositories.alerts import AlertRepository
from alerting.repositories.applied import AppliedRecords
from alerting.repositories.audit import AuditRepository
from alerting.repositories.breakers import BreakerStore
from alerting.repositories.cloudwatch import CloudWatchListing, CloudWatchMetrics
from alerting.repositories.config import ConfigGenerations, ConfigRepository, RunLog
from alerting.repositories.connections import ConnectionPusher, ConnectionStore
from alerting.repositories.groups import GroupStore
from alerting.repositories.heartbeats import HeartbeatRepository
from alerting.repositories.keys import KeyStore
from alerting.repositories.once import OnceStore
from alerting.repositories.queues import DeadLetterQueues, Queue, ShardQueue
from alerting.repositories.quotas import QuotaStore, RateLimiter
from alerting.repositories.secrets import SecretStore
from alerting.repositories.signing import SigningSecret
from alerting.repositories.state import StateRepository
from alerting.routing import Router
from alerting.settings import (
    ApiSettings,
    DeliverySettings,
    EvaluatorSettings,
    IngestApiSettings,
    LiveSettings,
    NotifierSettings,
    Settings,
)

M = TypeVar("M", bound=BaseModel)
S = TypeVar("S")
Senders = Callable[[Channel, dict[str, str]], Sender]  # a channel and its secret values → its sender


def client(settings: Settings, service: str, **options: Any) -> Any:
    """The container's one client of ``service`` (``options``: `clients.client`'s), the very one
    another caller of `clients.client` with the same arguments gets (a test that throttles it)."""
    return clients.client(service, settings.region, settings.endpoint_url, **options)


def _dynamodb(settings: Settings) -> Any:
    return client(settings, "dynamodb")


# -- the config table ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigTable:
    """A config table and the client that reaches it: a function's (`config`), or the one a tool
    run on someone's machine builds (`workstation_table`: rules as code, a backtest there)."""

    client: Any
    name: str

    def repository(self, kind: Kind[M]) -> ConfigRepository[M]:
        return ConfigRepository(self.client, self.name, kind)

    def applied(self) -> AppliedRecords:
        return AppliedRecords(self.client, self.name)


def workstation_table(name: str, region: str | None, endpoint_url: str | None) -> ConfigTable:
    return ConfigTable(clients.workstation_client("dynamodb", region, endpoint_url), name)


def config(settings: Settings, kind: Kind[M]) -> ConfigRepository[M]:
    return ConfigTable(_dynamodb(settings), settings.config_table).repository(kind)


def _on_config_table(store: Callable[[Any, str], S]) -> Callable[[Settings], S]:
    """A function that builds ``store`` on a function's config table, handed its client."""

    def build(settings: Settings) -> S:
        return store(_dynamodb(settings), settings.config_table)

    return build


# The config table's other stores: wiring.quotas(settings)...
generations = _on_config_table(ConfigGenerations)
run_log = _on_config_table(RunLog)
quotas = _on_config_table(QuotaStore)
rate_limiter = _on_config_table(RateLimiter)
keys = _on_config_table(KeyStore)
once = _on_config_table(OnceStore)
breakers = _on_config_table(BreakerStore)
groups = _on_config_table(GroupStore)
ack_link_store = _on_config_table(AckLinkStore)
heartbeats = _on_config_table(HeartbeatRepository)


def router(settings: Settings) -> Router:
    """Who hears an alert as it opens, by the stored routes: ``router(labels)`` for one alert
    (`signal_labels(signal)` for a source's), ``router.at(now)`` for a tick's or a batch's.
    Read-your-writes: the routes' generation is read each time (once per ``now``), the routes
    again only when it moved."""
    generation = Generations(generations(settings).read)
    routes = config(settings, ROUTE)
    return Router(VersionedCache(lambda: list(routes.all()), generation.watch(ROUTE.name)), generation.refresh)


def cloudwatch_integration(settings: Settings) -> Callable[[], Integration | None]:
    """The integration of type ``cloudwatch`` (labels, severity, INSUFFICIENT_DATA): the first
    enabled one, else a disabled one (alarms are then ignored), else none; read when asked (a
    handful of small items, one Query)."""
    integrations = config(settings, INTEGRATION)

    def find() -> Integration | None:
        found = sorted(
            (i for i in integrations.all() if i.type is IntegrationType.cloudwatch), key=lambda i: not i.enabled
        )
        return found[0] if found else None

    return find


# -- alerts and series -----------------------------------------------------------------------------


def alerts(settings: Settings) -> AlertRepository:
    return AlertRepository(_dynamodb(settings), settings.alerts_table, settings.alert_log_table)


def audit(settings: Settings) -> AuditRepository:
    """The audit log (on the alert log table): `record(actor, action, resource, now, change=, note=)`."""
    return AuditRepository(_dynamodb(settings), settings.alert_log_table)


def states(settings: EvaluatorSettings | ApiSettings | IngestApiSettings) -> StateRepository:
    return StateRepository(_dynamodb(settings), settings.state_table)


# -- CloudWatch ------------------------------------------------------------------------------------


def metrics(settings: Settings) -> CloudWatchMetrics:
    # The adapter retries throttling itself (jittered, counted): no second layer in botocore.
    return CloudWatchMetrics(client(settings, "cloudwatch", max_attempts=1))


def directory(settings: Settings, *, max_age: timedelta = CACHE_AGE) -> MetricDirectory:
    return MetricDirectory(CloudWatchListing(client(settings, "cloudwatch")), max_age=max_age)


# -- delivery --------------------------------------------------------------------------------------


def secrets(
    settings: DeliverySettings | IngestApiSettings,
    *,
    max_age: float = 60.0,
    version: Callable[[], Hashable] = lambda: None,
) -> SecretStore:
    return SecretStore(client(settings, "ssm"), settings.secrets_prefix, max_age=max_age, version=version)


def senders(settings: DeliverySettings) -> Senders:
    """The sender of a channel, given its secret values: every channel type, as the settings allow."""
    return partial(
        sender_for,
        http=HttpClient(allow_private=settings.allow_private_targets),
        ses_client=client(settings, "ses"),
        sns_client=client(settings, "sns"),
        email_sender=settings.email_sender,
        email_senders=settings.email_senders,
        sms_country_codes=settings.sms_destinations,
        timeout=settings.http_timeout_seconds,
    )


def signing_secret(settings: NotifierSettings | IngestApiSettings) -> SigningSecret:
    """The acknowledge links' HMAC key (Secrets Manager), read once per container and every few minutes."""
    return SigningSecret(client(settings, "secretsmanager"), settings.ack_link_secret_arn)


def ack_links(settings: NotifierSettings) -> AckLinks | None:
    """The acknowledge links e-mail and SMS carry; None (no links) without the ingest API's URL or the secret."""
    if not (settings.ingest_url and settings.ack_link_secret_arn):
        return None
    return AckLinks(settings.ingest_url, signing_secret(settings), ack_link_store(settings).keep)


# -- queues ----------------------------------------------------------------------------------------


def queue(settings: Settings, url: str) -> Queue:
    return Queue(client(settings, "sqs"), url)


def shard_queue(settings: EvaluatorSettings) -> ShardQueue | None:
    """Where a tick too big for one invocation sends its shards (None: no fan-out configured)."""
    if not settings.shard_queue_url:
        return None
    return ShardQueue(client(settings, "sqs"), settings.shard_queue_url)


def dead_letter_queues(settings: ApiSettings) -> DeadLetterQueues:
    """The functions' dead-letter queues that are configured, by the function they hold failures of."""
    urls = {"evaluator": settings.evaluator_dlq_url, "notifier": settings.notifier_dlq_url}
    return DeadLetterQueues(client(settings, "sqs"), {name: url for name, url in urls.items() if url})


# -- the live view ---------------------------------------------------------------------------------


def connections(settings: LiveSettings) -> ConnectionStore:
    return ConnectionStore(_dynamodb(settings), settings.connections_table)


def pusher(settings: LiveSettings) -> ConnectionPusher:
    """Posts to the WebSocket stage's connections (its management endpoint)."""
    return ConnectionPusher(clients.client("apigatewaymanagementapi", settings.region, settings.live_endpoint))
