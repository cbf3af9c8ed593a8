"""Slack's button clicks (§18, docs/notifications.md "Buttons"): who may click (the request's
signature, checked with the signing secret of the channel its button names, once), and what a
click does (acknowledge, resolve or silence for an hour, as the Slack user), answered in the
message itself through the click's ``response_url``.

The alert is changed before Slack is answered (one transaction an alert: milliseconds), then the
message is replaced once, or, when nothing could change (the alert resolved meanwhile, an
unknown action), the user alone is told why (an ephemeral message). Slack is answered 200 either
way: only a request that cannot be shown to come from Slack is refused (401).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from alerting import wiring
from alerting.audit import change_of
from alerting.channels.base import GroupMessage, Message
from alerting.channels.http import HttpClient
from alerting.channels.render import when
from alerting.channels.slack import group_payload, payload
from alerting.channels.slack_actions import (
    ACKNOWLEDGE,
    KEEP_SIGNATURE_SECONDS,
    OPEN,
    RESOLVE,
    SILENCE,
    SILENCE_FOR,
    ButtonKey,
    Interaction,
    Target,
    claimed_channel,
    interaction,
    read_value,
    response_url_problem,
    signature_matches,
    stale,
)
from alerting.errors import AlertingError, DeliveryError, NotFound, Unauthorized
from alerting.kinds import CHANNEL
from alerting.kinds import SILENCE as SILENCE_KIND
from alerting.lifecycle import AlertLifecycle
from alerting.limits import Limit
from alerting.models.alerts import Alert, AlertSource
from alerting.models.channels import Channel, ChannelType
from alerting.models.common import AlertStatus, digest
from alerting.models.silences import Matcher, SilenceSpec
from alerting.repositories.audit import AuditRepository
from alerting.repositories.config import ConfigRepository
from alerting.repositories.once import OnceStore
from alerting.repositories.secrets import SecretStore
from alerting.settings import IngestApiSettings
from alerting.silencing import SilenceService

SCOPE = "slack"  # the once-store's scope of Slack's request signatures
RESPONSE_TIMEOUT = 1.0  # seconds for the response_url post: Slack waits 3 s for the whole answer
NOT_VERIFIED = "the request's signature does not verify"
VERBS = {ACKNOWLEDGE: "Acknowledged", RESOLVE: "Resolved", SILENCE: "Silenced for 1 h"}
AUDITED = {ACKNOWLEDGE: "ack", RESOLVE: "resolve"}  # the audit log's names, as the API's
FROM_SLACK = "from a Slack button"


@dataclass(frozen=True)
class Verified:
    """A request shown to come from Slack, for a button of ``channel``."""

    channel: Channel
    secret: str
    interaction: Interaction


@dataclass
class Outcome:
    """What a click did: for the log and the metrics."""

    action: str
    changed: list[str] = field(default_factory=list)  # the alerts (or silences) it changed
    refused: str | None = None  # why nothing changed, as the user was told
    response_error: str | None = None  # the response_url post that failed


class ResponseUrl:
    """Posts to a click's response_url: Slack's hooks only (another URL is never called)."""

    def __init__(self, http: HttpClient, timeout: float = RESPONSE_TIMEOUT) -> None:
        self._http = http
        self._timeout = timeout

    def __call__(self, url: str, body: dict[str, Any]) -> None:
        problem = response_url_problem(url, self._http.allow_private)
        if problem is not None:
            raise DeliveryError(f"response_url {problem}", retryable=False)
        self._http.post_json(url, json.dumps(body).encode(), {}, self._timeout, label="slack response_url")


@dataclass
class SlackInteractions:
    channels: ConfigRepository[Channel]
    secrets: SecretStore
    once: OnceStore
    lifecycle: AlertLifecycle
    silences: SilenceService
    audit: AuditRepository
    respond: Callable[[str, dict[str, Any]], None]

    def verify(self, headers: Mapping[str, str], body: str, now: int) -> Verified:
        """The request's channel and interaction, once it is shown to be Slack's: fresh (five
        minutes), signed with the secret of the channel its button names, and never seen before.
        Unauthorized otherwise, before anything is read but that channel and its secret."""
        timestamp, signature = headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature")
        problem = stale(timestamp, now)
        if problem is not None or not signature or timestamp is None:
            raise Unauthorized(problem or "X-Slack-Signature is missing")
        channel = self._signing_channel(claimed_channel(body))
        secret = self._secret(channel)
        found = interaction(body)
        if channel is None or secret is None or found is None:
            raise Unauthorized(NOT_VERIFIED)
        if not signature_matches(secret, timestamp, body.encode(), signature):
            raise Unauthorized(NOT_VERIFIED)
        if not self.once.claim(SCOPE, signature, int(timestamp) + KEEP_SIGNATURE_SECONDS):
            raise Unauthorized("the request was sent before: a replay")
        return Verified(channel, secret, found)

    def _signing_channel(self, channel_id: str | None) -> Channel | None:
        channel = self.channels.find(channel_id) if channel_id else None
        if channel is None or channel.type is not ChannelType.slack or "signing_secret" not in channel.secret_refs:
            return None
        return channel

    def _secret(self, channel: Channel | None) -> str | None:
        if channel is None:
            return None
        try:
            return self.secrets.get(channel.secret_refs["signing_secret"])
        except NotFound:
            return None

    def act(self, verified: Verified, now: datetime) -> Outcome:
        """Do what the button says, and answer in the message (or to the user alone)."""
        found, channel = verified.interaction, verified.channel
        action = found.actions[0] if found.type == "block_actions" and len(found.actions) == 1 else None
        target = read_value(action.value, verified.secret) if action else None
        if action is None or target is None or target.channel_id != channel.channel_id:
            return self._refuse(found, "", "Only this channel's own alert buttons act here.")
        if action.action_id.startswith(OPEN):
            return Outcome(action.action_id)  # a link: the browser opened it
        if action.action_id not in VERBS:
            return self._refuse(found, action.action_id, f"Unknown action {action.action_id!r}: nothing was done.")
        if not channel.enabled:
            return self._refuse(
                found, action.action_id, f"Channel {channel.name!r} is disabled: act from the dashboard."
            )
        outcome = Outcome(action.action_id)
        alerts, reasons = self._apply(found, action.action_id, action.action_ts, target, now, outcome)
        if not outcome.changed:
            return self._refuse(found, action.action_id, " ".join(reasons) or "Nothing was done.")
        note = self._note(found, action.action_id, len(outcome.changed), now)
        message = self._message(verified, target, alerts, note, silenced=target.silenced or action.action_id == SILENCE)
        self._answer(found, {"replace_original": True, **message}, outcome)
        return outcome

    def _apply(
        self, found: Interaction, action: str, action_ts: str, target: Target, now: datetime, outcome: Outcome
    ) -> tuple[list[Alert], list[str]]:
        """Each alert of the button as the action leaves it, and why any was left as it was."""
        alerts: list[Alert] = []
        reasons: list[str] = []
        for alert_id in target.alert_ids:
            try:
                alert = self.lifecycle.alerts.get(alert_id)
            except NotFound:
                reasons.append(f"Alert {alert_id} no longer exists.")
                continue
            try:
                alerts.append(self._do(action, alert, found.actor, action_ts, now, outcome))
            except AlertingError as exc:
                alerts.append(self.lifecycle.alerts.get(alert_id))
                reasons.append(unchanged(alerts[-1], action, exc))
        return alerts, reasons

    def _do(self, action: str, alert: Alert, actor: str, action_ts: str, now: datetime, outcome: Outcome) -> Alert:
        """The action on one alert, audited as the API audits its own (`ack`, `resolve`, a silence's `create`)."""
        if action == SILENCE:
            if not alert.is_open:
                raise AlertingError("resolved")
            silence = self.silences.create(silence_for(alert, actor, action_ts, now), now)
            audited = ("create", f"silence/{silence.silence_id}", silence.model_dump(mode="json"))
            changed = alert
        else:
            write = self.lifecycle.acknowledge if action == ACKNOWLEDGE else self.lifecycle.resolve
            changed = write(alert.alert_id, actor, "", now)
            audited = (AUDITED[action], f"alert/{alert.alert_id}", {"status": changed.status.value})
        name, resource, after = audited
        self.audit.record(actor, name, resource, now, change=change_of(None, after), note=FROM_SLACK)
        outcome.changed.append(alert.alert_id)
        return changed

    def _note(self, found: Interaction, action: str, count: int, now: datetime) -> str | None:
        """The line a replaced message adds: a silence always, a group's action (its lines show each alert's state)."""
        many = f" {count} alerts" if count > 1 else ""
        if action == SILENCE:
            return f"Silenced{many} for 1 h by {found.actor}, until {when(now + SILENCE_FOR)}"
        return f"{VERBS[action]}{many} by {found.actor} at {when(now)}" if count > 1 else None

    def _message(
        self, verified: Verified, target: Target, alerts: list[Alert], note: str | None, *, silenced: bool
    ) -> dict[str, Any]:
        """The message again, as its alerts are now, with the buttons still of use."""
        channel = verified.channel
        key = ButtonKey(channel.channel_id, verified.secret)
        if target.group_id is not None:
            return group_payload(GroupMessage(tuple(alerts), target.group_id, {}), key, note=note, silenced=silenced)
        (alert,) = alerts
        message = Message(
            alert=alert,
            event=alert.last_transition.event,
            seq=alert.version,
            delivery_id=f"{alert.alert_id}:{alert.version}:{channel.channel_id}",
            template=channel.template,
        )
        return payload(message, key, note=note, silenced=silenced)[0]

    def _refuse(self, found: Interaction, action: str, text: str) -> Outcome:
        outcome = Outcome(action, refused=text)
        self._answer(found, {"response_type": "ephemeral", "replace_original": False, "text": text}, outcome)
        return outcome

    def _answer(self, found: Interaction, body: dict[str, Any], outcome: Outcome) -> None:
        if not found.response_url:
            return
        try:
            self.respond(found.response_url, body)
        except DeliveryError as exc:  # the alert changed all the same; the channel hears of it from the notifier
            outcome.response_error = str(exc)


def unchanged(alert: Alert, action: str, error: AlertingError) -> str:
    """Why an alert was left as it was, as its state says it."""
    if alert.status is AlertStatus.resolved and alert.resolved_at is not None:
        return f"{alert.rule_name} was already resolved by {alert.resolved_by} at {when(alert.resolved_at)}."
    if action == ACKNOWLEDGE and alert.acknowledged_at is not None:
        return (
            f"{alert.rule_name} was already acknowledged by {alert.acknowledged_by} at {when(alert.acknowledged_at)}."
        )
    return f"{alert.rule_name}: {error}"


def silence_for(alert: Alert, actor: str, action_ts: str, now: datetime) -> SilenceSpec:
    """An hour's silence of this alert's identity: its rule and series (as the dashboard's), or a
    source's labels. Its id is the click's, so a click Slack delivers twice silences once."""
    identity = alert.series if alert.source is AlertSource.rule else alert.labels
    matchers = [Matcher(label="rule_id", value=alert.rule_id)]
    matchers += [Matcher(label=name, value=value) for name, value in sorted(identity.items())]
    try:
        return SilenceSpec(
            silence_id=f"slack-{digest([alert.alert_id, action_ts], 16)}",
            matchers=matchers,
            ends_at=now + SILENCE_FOR,
            created_by=actor[:200],
            comment=f"silenced for 1 h from Slack: {alert.rule_name}"[:2000],
        )
    except ValidationError:
        raise AlertingError("its labels make no silence the API would take: silence it from the dashboard") from None


def slack_interactions(settings: IngestApiSettings, lifecycle: AlertLifecycle) -> SlackInteractions:
    return SlackInteractions(
        channels=wiring.config(settings, CHANNEL),
        secrets=wiring.secrets(settings),
        once=wiring.once(settings),
        lifecycle=lifecycle,
        silences=SilenceService(
            wiring.config(settings, SILENCE_KIND),
            Limit("active or pending silences", settings.max_silences, "MaxSilences"),
        ),
        audit=wiring.audit(settings),
        respond=ResponseUrl(HttpClient(allow_private=settings.allow_private_targets)),
    )
