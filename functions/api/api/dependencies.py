"""The API's services, built once per container from its settings (clients are shared)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache, partial

from alerting.channels import HttpClient, sender_for
from alerting.discovery import MetricDirectory
from alerting.lifecycle import AlertLifecycle
from alerting.models.channels import Channel
from alerting.models.inhibitions import Inhibition, InhibitionSpec
from alerting.models.mute_windows import MuteWindow, MuteWindowSpec
from alerting.models.policies import EscalationPolicy, EscalationPolicySpec
from alerting.models.rules import Rule
from alerting.models.schedules import Schedule, ScheduleSpec
from alerting.models.silences import Silence
from alerting.repositories.alerts import AlertRepository
from alerting.repositories.cloudwatch import CloudWatchListing, CloudWatchMetrics
from alerting.repositories.config import (
    KIND_CHANNEL,
    KIND_INHIBITION,
    KIND_MUTE_WINDOW,
    KIND_POLICY,
    KIND_RULE,
    KIND_SCHEDULE,
    KIND_SILENCE,
    ConfigRepository,
    RunLog,
)
from alerting.repositories.quotas import QuotaStore
from alerting.repositories.secrets import SecretStore
from alerting.repositories.state import StateRepository
from alerting.settings import ApiSettings, client
from api.services.alerts import AlertService
from api.services.backtests import BacktestService
from api.services.channels import ChannelService
from api.services.datapoints import DatapointReader
from api.services.dry_run import RuleTester
from api.services.references import References
from api.services.reports import DeadLetterQueues, ReportService
from api.services.resources import Limit, ResourceService
from api.services.rules import RuleService
from api.services.silences import SilenceService


@dataclass(frozen=True)
class Services:
    rules: RuleService
    alerts: AlertService
    channels: ChannelService
    policies: ResourceService[EscalationPolicySpec, EscalationPolicy]
    schedules: ResourceService[ScheduleSpec, Schedule]
    mute_windows: ResourceService[MuteWindowSpec, MuteWindow]
    inhibitions: ResourceService[InhibitionSpec, Inhibition]
    silences: SilenceService
    tester: RuleTester
    backtests: BacktestService
    datapoints: DatapointReader
    reports: ReportService


@cache
def build(settings: ApiSettings) -> Services:
    def aws(service: str) -> object:
        return client(service, settings.region, settings.endpoint_url)

    dynamodb = aws("dynamodb")
    rules = ConfigRepository(dynamodb, settings.config_table, KIND_RULE, Rule, "rule_id")
    channels = ConfigRepository(dynamodb, settings.config_table, KIND_CHANNEL, Channel, "channel_id")
    policies = ConfigRepository(dynamodb, settings.config_table, KIND_POLICY, EscalationPolicy, "policy_id")
    schedules = ConfigRepository(dynamodb, settings.config_table, KIND_SCHEDULE, Schedule, "schedule_id")
    references = References(rules, channels, policies, schedules)
    states = StateRepository(dynamodb, settings.state_table)
    alert_repository = AlertRepository(dynamodb, settings.alerts_table, settings.alert_log_table)
    alerts = AlertService(alert_repository, AlertLifecycle(alert_repository, states))
    send = partial(
        sender_for,
        http=HttpClient(allow_private=settings.allow_private_targets),
        ses_client=aws("ses"),
        sns_client=aws("sns"),
        email_sender=settings.email_sender,
        email_senders=settings.email_senders,
        sms_country_codes=settings.sms_destinations,
        timeout=settings.http_timeout_seconds,
    )
    queues = {"evaluator": settings.evaluator_dlq_url, "notifier": settings.notifier_dlq_url}
    metrics = CloudWatchMetrics(client("cloudwatch", settings.region, settings.endpoint_url, max_attempts=1))
    rule_service = RuleService(rules, references, alerts)
    silences = ConfigRepository(dynamodb, settings.config_table, KIND_SILENCE, Silence, "silence_id")
    mute_windows = ConfigRepository(dynamodb, settings.config_table, KIND_MUTE_WINDOW, MuteWindow, "mute_window_id")
    return Services(
        rules=rule_service,
        policies=ResourceService(
            "policy",
            "escalation policy",
            EscalationPolicySpec,
            EscalationPolicy,
            policies,
            check=references.check_policy,
            referrers=references.users_of_policy,
        ),
        schedules=ResourceService(
            "schedule",
            "schedule",
            ScheduleSpec,
            Schedule,
            schedules,
            check=references.check_schedule,
            referrers=references.users_of_schedule,
        ),
        mute_windows=ResourceService(
            "mute_window",
            "mute window",
            MuteWindowSpec,
            MuteWindow,
            mute_windows,
            limit=Limit("mute windows", settings.max_mute_windows, "MaxMuteWindows"),
        ),
        inhibitions=ResourceService(
            "inhibition",
            "inhibition",
            InhibitionSpec,
            Inhibition,
            ConfigRepository(dynamodb, settings.config_table, KIND_INHIBITION, Inhibition, "inhibition_id"),
            limit=Limit("inhibitions", settings.max_inhibitions, "MaxInhibitions"),
        ),
        silences=SilenceService(
            silences,
            Limit("active or pending silences", settings.max_silences, "MaxSilences"),
        ),
        alerts=alerts,
        channels=ChannelService(
            channels,
            references.users_of_channel,
            # no cache: a test right after a rotation on another instance uses the new secret
            SecretStore(aws("ssm"), settings.secrets_prefix, max_age=0),
            send,
            quotas=QuotaStore(dynamodb, settings.config_table),
            allow_private=settings.allow_private_targets,
            email_senders=settings.email_senders,
            sns_topics=settings.sns_topics,
            sms_country_codes=settings.sms_destinations,
            console_url=settings.console_url,
        ),
        # a dry run lists what is there now: no cached list
        tester=RuleTester(metrics, states, MetricDirectory(CloudWatchListing(aws("cloudwatch")), max_age=timedelta(0))),
        # a backtest's fleet: every series ListMetrics knows from two weeks, as of now (uncached)
        backtests=BacktestService(
            rule_service,
            metrics,
            MetricDirectory(CloudWatchListing(aws("cloudwatch")), max_age=timedelta(0)),
            silences,
            mute_windows,
            policies,
        ),
        datapoints=DatapointReader(metrics),
        reports=ReportService(
            alert_repository,
            RunLog(dynamodb, settings.config_table),
            DeadLetterQueues(aws("sqs"), {name: url for name, url in queues.items() if url}),
            version=settings.version,
            rules=rules,
            channels=channels,
            states=states,
        ),
    )


def services() -> Services:
    return build(ApiSettings.from_env())
