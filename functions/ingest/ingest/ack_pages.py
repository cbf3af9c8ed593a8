"""The acknowledge link's pages: small HTML, no script, nothing from elsewhere (a strict CSP:
only its own inline style, by hash; a form that may post only here), never cached, never framed,
sending a referrer (the page's URL holds the token) to nobody else.

The confirm page's form posts the token in its body to ``ack`` (relative: the same path as the
link's, without its query), so the token is never in a path, where a log line could show it.
"""

from __future__ import annotations

import base64
import hashlib
import html
from http import HTTPStatus

from aws_lambda_powertools.event_handler import Response

from alerting.ack_links import PATH, TOKEN_PARAMETER
from alerting.channels.render import when
from alerting.models.alerts import Alert
from alerting.models.common import AlertStatus
from ingest.ack_service import Answer, Outcome
from ingest.errors import Refusal

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1f2328}"
    "h1{font-size:1.4rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dt{color:#656d76}"
    "dd{margin:0}button{font-size:1rem;padding:.6rem 1.4rem;background:#1f6feb;color:#fff;border:0;border-radius:6px}"
    "p.quiet{color:#656d76;font-size:.9rem}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
    # Not no-referrer: that makes a browser post the form with `Origin: null`, which make serve's
    # front refuses; no other origin is ever linked from these pages.
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-Robots-Tag": "noindex",
}
HTML = "text/html; charset=utf-8"
ELSEWHERE = "Acknowledge it from the dashboard, or from the link in a newer message."

# (status, title, what it means) of each answer that does not ask to confirm
TEXTS: dict[Outcome, tuple[HTTPStatus, str, str]] = {
    Outcome.unknown: (
        HTTPStatus.NOT_FOUND,
        "This link is not valid",
        "It may be cut short or altered (open the whole link from the message), or the stack's signing "
        f"secret was changed since it was sent. Nothing was changed. {ELSEWHERE}",
    ),
    Outcome.expired: (
        HTTPStatus.GONE,
        "This link has expired",
        f"A link works for 24 hours after its message was sent. Nothing was changed. {ELSEWHERE}",
    ),
    Outcome.gone: (HTTPStatus.NOT_FOUND, "This alert no longer exists", "Nothing was changed."),
    Outcome.already_acknowledged: (HTTPStatus.CONFLICT, "Already acknowledged", "Nothing was changed."),
    Outcome.resolved: (HTTPStatus.CONFLICT, "This alert is resolved", "Nothing was changed."),
    Outcome.used: (
        HTTPStatus.CONFLICT,
        "This link was used already",
        f"It acknowledged the alert before, which is firing again since. Nothing was changed. {ELSEWHERE}",
    ),
    Outcome.acknowledged: (HTTPStatus.OK, "Acknowledged", "Escalation and reminders stop for this alert."),
}


def page(answer: Answer, token: str = "") -> Response[str]:
    """The page for ``answer``; the confirm page carries ``token`` in its form."""
    if answer.outcome is Outcome.confirm:
        return respond(HTTPStatus.OK, "Acknowledge this alert?", _confirm(answer, token))
    status, title, text = TEXTS[answer.outcome]
    if answer.outcome is Outcome.already_acknowledged and answer.alert and answer.alert.acknowledged_by:
        title = f"Already acknowledged by {answer.alert.acknowledged_by}"
    return respond(status, title, _facts(answer) + f"<p>{html.escape(text)}</p>")


def respond(status: HTTPStatus, title: str, body: str) -> Response[str]:
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return Response(status_code=status, content_type=HTML, body=document, headers=dict(HEADERS))


def _confirm(answer: Answer, token: str) -> str:
    return (
        _facts(answer) + f'<form method="post" action="{PATH.lstrip("/")}">'
        f'<input type="hidden" name="{TOKEN_PARAMETER}" value="{html.escape(token, quote=True)}">'
        "<button type=submit>Acknowledge</button></form>"
        '<p class="quiet">Opening this link changed nothing; only the button acknowledges.</p>'
    )


def _facts(answer: Answer) -> str:
    """The alert, who acknowledges (or did), and the message the link came in."""
    rows: list[tuple[str, str]] = []
    alert, claims = answer.alert, answer.claims
    if alert is not None:
        rows += [("Alert", alert.rule_name), ("Severity", alert.severity.value), ("Since", when(alert.started_at))]
        rows += _who(alert)
    if claims is not None:
        rows += [("Sent to", claims.actor), ("Alert id", claims.alert_id)]
    cells = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows)
    return f"<dl>{cells}</dl>" if cells else ""


def _who(alert: Alert) -> list[tuple[str, str]]:
    if alert.status is AlertStatus.acknowledged and alert.acknowledged_by and alert.acknowledged_at:
        return [("Acknowledged by", f"{alert.acknowledged_by} at {when(alert.acknowledged_at)}")]
    if alert.resolved_by and alert.resolved_at:
        return [("Resolved by", f"{alert.resolved_by} at {when(alert.resolved_at)}")]
    return [("Status", alert.status.value)]


def refusal_page(refusal: Refusal) -> Response[str]:
    """A request no route of ours answered (no such page, a token far too long, a body too
    large, our own failure), as a page like the others."""
    if refusal.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        text = "Something went wrong on our side. Try the link again in a minute, or use the dashboard."
        return respond(refusal.status, "Not acknowledged", f"<p>{html.escape(text)}</p>")
    _, title, text = TEXTS[Outcome.unknown]
    return respond(refusal.status, title, f"<p>{html.escape(text)}</p>")
