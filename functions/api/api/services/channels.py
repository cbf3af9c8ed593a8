"""Channels: targets validated per type, secret fields kept in SSM and never shown, test sends.

A secret field (Slack, Teams and webhook URLs, the HMAC key) goes to SSM SecureString; the config item
keeps only the parameter name. Responses show `{"secret": true, "set": true|false}` in its place.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from alerting.channels import Message, Sender, check_target, check_workflow_url, destination_allowed
from alerting.errors import Conflict, DeliveryError, InvalidInput, NotFound, RateLimited
from alerting.models.channels import SECRET_FIELDS, TARGET_MODELS, Channel, ChannelSpec, ChannelType
from alerting.models.common import AlertEvent, Page, epoch, new_id
from alerting.repositories.config import ConfigRepository
from alerting.repositories.quotas import Quota, QuotaStore
from alerting.repositories.secrets import SecretStore
from alerting.samples import channel_sample
from alerting.templating import check
from alerting.validation import field_errors
from api.errors import InvalidFields
from api.schemas import ChannelTestResult, ChannelUpdate, ChannelView, SecretField
from api.services.concurrency import current_for_update

SenderFactory = Callable[[Channel, dict[str, str]], Sender]

# Fields that are URLs a request will be sent to: checked like the notifier checks them (a Teams
# URL must also name a Teams workflow host).
URL_FIELDS: dict[ChannelType, str] = {
    ChannelType.slack: "webhook_url",
    ChannelType.teams: "webhook_url",
    ChannelType.webhook: "url",
}
URL_CHECKS = {ChannelType.teams: check_workflow_url}

# Test sends per channel in any hour, across every API instance: each may be a paid SMS, and
# nobody should be able to page a person (or flood a webhook) through the test button.
TEST_QUOTA = Quota("channel_test", limit=5, period_seconds=3600)


def is_marker(value: object) -> bool:
    """The `{"secret": true, ...}` stand-in a GET shows: sent back, it means "keep"."""
    return isinstance(value, dict) and value.get("secret") is True


def view(channel: Channel) -> ChannelView:
    """The channel as a response shows it: each secret field as set or not, never its value."""
    secrets = {f: SecretField(set=f in channel.secret_refs).model_dump() for f in SECRET_FIELDS[channel.type]}
    shown = channel.model_dump(exclude={"secret_refs"})
    return ChannelView.model_validate({**shown, "target": {**channel.target, **secrets}})


def redact(text: str, secrets: Mapping[str, str]) -> str:
    """Belt and braces: senders keep secrets out of errors; this makes sure of it."""
    for value in secrets.values():
        if len(value) >= 4:
            text = text.replace(value, "***")
    return text


@dataclass
class ChannelService:
    channels: ConfigRepository[Channel]
    users: Callable[[str], list[str]]  # what refers to a channel (rules, policies, schedules)
    secrets: SecretStore
    sender_for: SenderFactory
    quotas: QuotaStore
    allow_private: bool
    email_senders: Mapping[str, str] = dataclasses.field(default_factory=dict)  # lower case -> as IAM spells it
    sns_topics: frozenset[str] = frozenset()
    sms_country_codes: tuple[str, ...] = ()  # empty: every country
    console_url: str = ""

    def create(self, spec: ChannelSpec, now: datetime) -> ChannelView:
        channel_id = spec.channel_id or new_id()
        plain, new_secrets = self._target(spec, kept={}, now=now)
        channel = Channel(
            channel_id=channel_id,
            name=spec.name,
            type=spec.type,
            target=plain,
            secret_refs={f: self.secrets.name_for(channel_id, f) for f in new_secrets},
            filters=spec.filters,
            template=spec.template,
            enabled=spec.enabled,
            **spec.grouping(),
            version=1,
            created_at=now,
            updated_at=now,
        )
        # The item first: its conditional create proves the id is ours before any parameter
        # under that id is written (a duplicate POST must not overwrite another channel's secret).
        self.channels.create(channel)
        try:
            for field, value in new_secrets.items():
                self.secrets.put(channel_id, field, value)
        except Exception:
            self.channels.delete(channel_id)
            raise
        return view(channel)

    def page(self, limit: int, next_token: str | None) -> Page[ChannelView]:
        page = self.channels.page(limit, next_token)
        return Page[ChannelView](items=[view(c) for c in page.items], next_token=page.next_token)

    def get(self, channel_id: str) -> ChannelView:
        return view(self.channels.get(channel_id))

    def update(self, channel_id: str, body: ChannelUpdate, if_match: str | None, now: datetime) -> ChannelView:
        stored = current_for_update(self.channels, "channel", channel_id, body.channel_id, body.version, if_match)
        keep = {
            field: name
            for field, name in stored.secret_refs.items()
            if body.type is stored.type and (field not in body.target or is_marker(body.target[field]))
        }
        kept = self._stored_secrets(keep)
        plain, new_secrets = self._target(body, kept, now=now)
        fields = set(kept) | set(new_secrets)
        channel = Channel(
            channel_id=channel_id,
            name=body.name,
            type=body.type,
            target=plain,
            secret_refs={f: self.secrets.name_for(channel_id, f) for f in sorted(fields)},
            filters=body.filters,
            template=body.template,
            enabled=body.enabled,
            **body.grouping(),
            version=stored.version + 1,
            created_at=stored.created_at,
            updated_at=now,
        )
        # Parameters are written in place before the item; the version was checked just above,
        # so only a concurrent update in this instant could pair the item with newer secrets.
        for field, value in new_secrets.items():
            self.secrets.put(channel_id, field, value)
        self.channels.replace(channel, stored.version)
        self.secrets.delete([n for f, n in stored.secret_refs.items() if f not in channel.secret_refs])
        return view(channel)

    def delete(self, channel_id: str) -> None:
        channel = self.channels.get(channel_id)
        users = self.users(channel_id)
        if users:
            raise Conflict(f"channel {channel_id!r} is used by {', '.join(users)}; remove it there first")
        self.channels.delete(channel_id)
        self.secrets.delete(list(channel.secret_refs.values()))

    def test(self, channel_id: str, now: datetime) -> ChannelTestResult:
        """Send a synthetic alert now. A failed send is a result (delivered=false), not an error;
        past ``TEST_QUOTA`` nothing is sent (``RateLimited``)."""
        channel = self.channels.get(channel_id)
        wait = self.quotas.take(TEST_QUOTA, channel_id, epoch(now))
        if wait:
            limit = f"at most {TEST_QUOTA.limit} tests per channel an hour"
            raise RateLimited(f"{limit}: channel {channel_id!r} may be tested again in {wait} s", retry_after=wait)
        values = self._stored_secrets(channel.secret_refs)
        message = Message(
            alert=channel_sample(channel.channel_id, channel.name, now),
            event=AlertEvent.firing,
            seq=1,
            delivery_id=f"test:{channel_id}:{epoch(now)}",
            template=channel.template,
            console_url=self.console_url,
        )
        try:
            receipt = self.sender_for(channel, values).send(message)
        except DeliveryError as exc:
            return ChannelTestResult(
                delivered=False,
                error=redact(str(exc), values),
                retryable=exc.retryable,
                http_status=exc.status_code,
            )
        return ChannelTestResult(
            delivered=True,
            provider_message_id=receipt.provider_message_id,
            http_status=receipt.http_status,
            template_error=receipt.template_error,
        )

    def _allowed_sender(self, sender: str | None) -> str | None:
        """``sender`` as the functions' IAM condition spells it (any case may be given)."""
        if sender is None:
            return None
        named = self.email_senders.get(sender.lower())
        if named is None:
            raise InvalidInput("target.sender", "not an allowed sender (EmailSender or OtherEmailSenders)")
        return named

    def _stored_secrets(self, refs: dict[str, str]) -> dict[str, str]:
        """{field: value} of the parameters that exist. A missing one is simply absent: validation
        (on update) or the sender (on test) then names the field, never the parameter."""
        values: dict[str, str] = {}
        for field, name in refs.items():
            try:
                values[field] = self.secrets.get(name)
            except NotFound:
                continue
        return values

    def _target(
        self, spec: ChannelSpec, kept: dict[str, str], *, now: datetime
    ) -> tuple[dict[str, object], dict[str, str]]:
        """Validate the target (with kept secrets filled in) → (plain fields, new secret values)."""
        given = {k: v for k, v in spec.target.items() if not is_marker(v)}
        try:
            target = TARGET_MODELS[spec.type].model_validate({**kept, **given})
        except ValidationError as exc:
            raise InvalidFields(field_errors(exc.errors(), prefix="target.")) from None
        url_field = URL_FIELDS.get(spec.type)
        # What the functions' IAM allows: anything else would only fail at send time.
        sender = self._allowed_sender(getattr(target, "sender", None))
        topic = getattr(target, "topic_arn", None)
        if topic is not None and topic not in self.sns_topics:
            raise InvalidInput("target.topic_arn", "not an allowed topic (the stack's topic or AllowedTopicArns)")
        phone = getattr(target, "phone_number", None)
        if phone is not None and not destination_allowed(phone, self.sms_country_codes):
            codes = ", ".join(f"+{code}" for code in self.sms_country_codes)
            raise InvalidFields([("target.phone_number", f"not in an allowed country (SmsCountryCodes: {codes})")])
        if url_field is not None and url_field in given:  # a kept URL was checked when it was stored
            vet_url = URL_CHECKS.get(spec.type, check_target)
            vet_url(str(getattr(target, url_field)), self.allow_private, field=f"target.{url_field}")
        if spec.template is not None:
            sample = channel_sample(spec.channel_id or "new-channel", spec.name, now)
            for part in ("subject", "body"):
                source = getattr(spec.template, part)
                if source is not None:
                    check(source, f"template.{part}", sample)
        data = target.model_dump(mode="json", exclude_none=True)
        if sender is not None:
            data["sender"] = sender
        secret_fields = SECRET_FIELDS[spec.type]
        new_secrets = {f: str(data.pop(f)) for f in secret_fields if f in data and f in given}
        for field in secret_fields:
            data.pop(field, None)
        return data, new_secrets
