"""Per-function settings, parsed from the environment once. The only module that reads os.environ.

Each function's ``Environment`` in ``template.yaml`` sets these names; the local stack computes
the same environment from the template, so the two cannot drift.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# The `SmsCountryCodes` parameter's AllowedPattern: "49,44,1" (no "+", no spaces).
SMS_COUNTRY_CODES = r"^(\d{1,4}(,\d{1,4})*)?$"


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore", defer_build=True)

    region: str = Field("us-east-1", alias="AWS_REGION")
    # Set by the local stack and the tests (moto); empty on AWS.
    endpoint_url: str | None = Field(None, alias="AWS_ENDPOINT_URL")
    config_table: str = Field(alias="CONFIG_TABLE")
    alerts_table: str = Field(alias="ALERTS_TABLE")
    alert_log_table: str = Field(alias="ALERT_LOG_TABLE")
    version: str = Field("dev", alias="APP_VERSION")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Any:
        env = dict(os.environ if environ is None else environ)
        return cls.model_validate({k: v for k, v in env.items() if v != ""})


class EvaluatorSettings(Settings):
    state_table: str = Field(alias="STATE_TABLE")
    # Fan-out: a tick with more due series than the budget goes to the workers through this queue.
    shard_queue_url: str = Field("", alias="EVALUATION_SHARD_QUEUE_URL")
    shard_budget: int = Field(10_000, alias="SHARD_BUDGET_SERIES", ge=1)
    # A tick's DynamoDB writes at once (each series' transaction is independent of the others).
    io_threads: int = Field(16, alias="EVALUATOR_IO_THREADS", ge=1, le=32)


class DeliverySettings(Settings):
    """What sending a message needs: the notifier, and the API's channel test."""

    topic_arn: str = Field(alias="ALERTS_TOPIC_ARN")
    email_sender: str = Field("alerts@example.com", alias="EMAIL_SENDER")
    # Further verified identities a channel may name as `target.sender` (comma-separated).
    other_email_senders: str = Field("", alias="OTHER_EMAIL_SENDERS")
    # Topics sns channels may publish to besides the stack's own (comma-separated ARNs).
    allowed_topic_arns: str = Field("", alias="ALLOWED_TOPIC_ARNS")
    secrets_prefix: str = Field(alias="SECRETS_PREFIX")
    allow_private_targets: bool = Field(False, alias="ALLOW_PRIVATE_WEBHOOK_TARGETS")
    http_timeout_seconds: float = Field(5.0, alias="HTTP_TIMEOUT_SECONDS")
    console_url: str = Field("", alias="CONSOLE_URL")
    notifier_dlq_url: str = Field(alias="NOTIFIER_DLQ_URL")
    # Calling codes (or longer number prefixes) SMS may go to, comma-separated; empty: anywhere.
    sms_country_codes: str = Field("", alias="SMS_COUNTRY_CODES", pattern=SMS_COUNTRY_CODES)

    @property
    def email_senders(self) -> dict[str, str]:
        """Every address e-mail may come from (the deployment's sender and the allow-list), by its
        lower case: a channel may name one in any case, but the functions' IAM condition
        (``ses:FromAddress``, StringEquals) admits only the case the parameters spell."""
        named: dict[str, str] = {}
        for address in (self.email_sender, *self.other_email_senders.split(",")):
            if address.strip():
                named.setdefault(address.strip().lower(), address.strip())
        return named

    @property
    def sms_destinations(self) -> tuple[str, ...]:
        """The calling codes SMS may go to (``SmsCountryCodes``); empty: every country."""
        return tuple(filter(None, self.sms_country_codes.split(",")))

    @property
    def sns_topics(self) -> frozenset[str]:
        """Every topic an sns channel may name (what the functions' sns:Publish allows)."""
        return frozenset({self.topic_arn, *filter(None, (a.strip() for a in self.allowed_topic_arns.split(",")))})


class NotifierSettings(DeliverySettings):
    retry_queue_url: str = Field(alias="DELIVERY_RETRY_QUEUE_URL")
    retry_first_backoff_seconds: int = Field(30, alias="DELIVERY_RETRY_FIRST_BACKOFF_SECONDS")
    # E-mail and SMS carry an acknowledge link to the ingest API (its public base URL), signed
    # with the stack's secret (its ARN); either empty: no links.
    ingest_url: str = Field("", alias="INGEST_URL")
    ack_link_secret_arn: str = Field("", alias="ACK_LINK_SECRET_ARN")


class ApiSettings(DeliverySettings):
    state_table: str = Field(alias="STATE_TABLE")
    evaluator_dlq_url: str = Field("", alias="EVALUATOR_DLQ_URL")
    # What the dashboard's page is told: where the live stream is, and how users sign in
    # (no user pool: no sign-in, as locally).
    live_url: str = Field("", alias="LIVE_URL")
    dashboard_user_pool_id: str = Field("", alias="DASHBOARD_USER_POOL_ID")
    dashboard_client_id: str = Field("", alias="DASHBOARD_CLIENT_ID")
    dashboard_identity_pool_id: str = Field("", alias="DASHBOARD_IDENTITY_POOL_ID")
    # Quieting config that every notifier batch and tick checks in full: bounded (§ operations).
    max_silences: int = Field(1000, alias="MAX_SILENCES", ge=1)
    max_mute_windows: int = Field(200, alias="MAX_MUTE_WINDOWS", ge=1)
    max_inhibitions: int = Field(200, alias="MAX_INHIBITIONS", ge=1)


class AlarmIngestSettings(Settings):
    """CloudWatch alarms' state changes, from EventBridge (the lifecycle's tables; `IngestAlarms`)."""

    state_table: str = Field(alias="STATE_TABLE")  # the lifecycle's; receiving a signal never reads it
    ingest_alarms: str = Field("all", alias="INGEST_ALARMS")  # all, none, or name prefixes (comma-separated)


class IngestApiSettings(Settings):
    """The ingest API (§16): keys, their owners, and each integration's request rate."""

    state_table: str = Field(alias="STATE_TABLE")  # the lifecycle's, as AlarmIngestSettings
    # Per integration: requests a second on average (IngestRateLimit) and at once (IngestBurst).
    ingest_rate_limit: int = Field(50, alias="INGEST_RATE_LIMIT", ge=1)
    ingest_burst: int = Field(100, alias="INGEST_BURST", ge=1)
    max_silences: int = Field(1000, alias="MAX_SILENCES", ge=1)  # the Alertmanager API's silences: the API's limit
    # Slack's buttons: each channel's signing secret (SSM), and where its response_url may point locally.
    secrets_prefix: str = Field(alias="SECRETS_PREFIX")
    allow_private_targets: bool = Field(False, alias="ALLOW_PRIVATE_WEBHOOK_TARGETS")
    ack_link_secret_arn: str = Field("", alias="ACK_LINK_SECRET_ARN")  # checks acknowledge links (empty: none act)


class LiveSettings(Settings):
    """The live view: its connections and the WebSocket stage's management endpoint."""

    connections_table: str = Field(alias="CONNECTIONS_TABLE")
    live_endpoint: str = Field(alias="LIVE_ENDPOINT")


# Loggers that print request parameters and bodies at DEBUG: botocore's wire logging (SSM
# SecureString values: webhook URLs, HMAC keys) and Powertools' resolver (a route's arguments,
# a channel's target among them). They stay at INFO whatever the function's log level: each
# function's handler module calls this when it is imported.
WIRE_LOGGERS = (
    "botocore.endpoint",
    "botocore.parsers",
    "botocore.auth",
    "botocore.hooks",
    "urllib3",
    "aws_lambda_powertools.event_handler",
)


def quiet_wire_logs() -> None:
    for name in WIRE_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.level, logging.INFO))
