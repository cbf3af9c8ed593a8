"""Acknowledge links (§18, `alerting.ack_links`): what a link's token stands for (``look``: reads
only, so a mail scanner or a link preview that follows it changes nothing), and acknowledging
through it (``act``: the confirm page's POST), as the channel the message was sent to.

A link acts once: its first use is claimed in the once-store (scope ``ack-link``, kept until the
link expires) before the alert is acknowledged, so a link used, then its alert unacknowledged,
does not acknowledge it again. Whatever refuses a link changes nothing. An acknowledgement is
audited as the API's are (action ``ack``, resource ``alert/<id>``, the channel as actor).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from alerting import wiring
from alerting.ack_links import Claims, Verdict, token_hash, verify
from alerting.errors import ConcurrentUpdate, Conflict, NotFound
from alerting.lifecycle import AlertLifecycle
from alerting.models.alerts import Alert
from alerting.models.channels import ChannelType
from alerting.models.common import AlertStatus
from alerting.repositories.audit import AuditRepository
from alerting.repositories.once import OnceStore
from alerting.settings import IngestApiSettings

SCOPE = "ack-link"  # the once-store's scope of acknowledge links
KINDS = {ChannelType.email: "e-mail", ChannelType.sms: "SMS"}


class Outcome(StrEnum):
    confirm = "confirm"  # valid: the page asks to confirm
    acknowledged = "acknowledged"  # acknowledged now, through this link
    unknown = "unknown"  # no such link, or altered
    expired = "expired"
    gone = "gone"  # the alert no longer exists
    already_acknowledged = "already_acknowledged"
    resolved = "resolved"
    used = "used"  # acknowledged through this link before; firing again since


@dataclass(frozen=True)
class Answer:
    outcome: Outcome
    claims: Claims | None = None
    alert: Alert | None = None


@dataclass
class AckLinkService:
    find: Callable[[str], Claims | None]  # a link's claims, by its token's hash
    secret: Callable[[], bytes]
    alerts: Callable[[str], Alert]  # NotFound when there is none
    lifecycle: AlertLifecycle
    once: OnceStore
    audit: AuditRepository

    def look(self, token: str, now: datetime) -> Answer:
        """What ``token`` would do at ``now``: ``confirm`` when it can acknowledge its alert, else why not."""
        claims = self.find(token_hash(token)) if token else None
        verdict = verify(self.secret(), token, claims, now) if claims is not None else Verdict.unknown
        if verdict is not Verdict.valid or claims is None:
            return Answer(Outcome.expired if verdict is Verdict.expired else Outcome.unknown)
        try:
            alert = self.alerts(claims.alert_id)
        except NotFound:
            return Answer(Outcome.gone, claims)
        return Answer(standing(alert), claims, alert)

    def act(self, token: str, now: datetime) -> Answer:
        """Acknowledge the link's alert as its channel, once; anything else answers why not."""
        looked = self.look(token, now)
        if looked.outcome is not Outcome.confirm or looked.claims is None:
            return looked
        claims = looked.claims
        if not self.once.claim(SCOPE, token_hash(token), claims.expires_at):
            return Answer(Outcome.used, claims, looked.alert)
        note = f"from the {KINDS.get(claims.channel_type, claims.channel_type.value)} link of transition {claims.seq}"
        try:
            alert = self.lifecycle.acknowledge(claims.alert_id, claims.actor, note, now)
        except ConcurrentUpdate:
            raise
        except Conflict:  # acknowledged or resolved by someone else a moment ago
            current = self.alerts(claims.alert_id)
            return Answer(standing(current), claims, current)
        change = {"status": alert.status.value}
        self.audit.record(claims.actor, "ack", f"alert/{alert.alert_id}", now, change=change, note=note)
        return Answer(Outcome.acknowledged, claims, alert)


def standing(alert: Alert) -> Outcome:
    """Whether a link may still acknowledge ``alert``: only while it fires."""
    if alert.status is AlertStatus.acknowledged:
        return Outcome.already_acknowledged
    if alert.status is AlertStatus.resolved:
        return Outcome.resolved
    return Outcome.confirm


def ack_links(settings: IngestApiSettings, lifecycle: AlertLifecycle) -> AckLinkService:
    return AckLinkService(
        find=wiring.ack_link_store(settings).find,
        secret=wiring.signing_secret(settings),
        alerts=lifecycle.alerts.get,
        lifecycle=lifecycle,
        once=wiring.once(settings),
        audit=wiring.audit(settings),
    )
