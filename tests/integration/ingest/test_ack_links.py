"""Acknowledge links through the real handlers on moto: an alert fires to an e-mail channel, the
notifier mails its link, and the ingest API answers it. GET shows the confirm page and writes
nothing; only the form's POST acknowledges, as `channel:ops-email (Ops e-mail)`; a link used,
expired, altered, or whose alert is acknowledged or resolved answers a page saying so and
changes nothing. The token is in no log line."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses import ses_backends

from alerting.models.alerts import Alert
from alerting.models.common import set_clock
from alerting.repositories.alerts import AlertRepository
from alerting.repositories.audit import AuditFilter, AuditRepository
from alerting.settings import IngestApiSettings
from alerting_local.lambda_runtime import LambdaContext
from alerting_local.streams import StreamMapping
from ingest import api as ingest_api
from ingest.dependencies import Services, build
from notifier import handler as notifier_handler
from tests.factories import T0
from tests.integration.api.client import ApiClient, api_event
from tests.integration.conftest import Aws
from tests.integration.test_notifier import fire_one

ACTOR = "channel:ops-email (Ops e-mail)"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
NOW = T0 + timedelta(minutes=5)  # the alert fired at T0 + 1 min: its link works until a day after


@dataclass
class Page:
    status: int
    text: str
    headers: dict[str, str]

    @property
    def title(self) -> str:
        found = re.search(r"<h1>(.*?)</h1>", self.text)
        return html.unescape(found.group(1)) if found else ""


@dataclass
class Mailed:
    """The alert, and the link its e-mail carried."""

    aws: Aws
    alert_id: str
    url: str
    services: Services

    @property
    def token(self) -> str:
        return parse_qs(urlsplit(self.url).query)["t"][0]

    @property
    def alerts(self) -> AlertRepository:
        env = self.aws.env("ApiFunction")
        return AlertRepository(self.aws.client("dynamodb"), env["ALERTS_TABLE"], env["ALERT_LOG_TABLE"])

    def alert(self) -> Alert:
        return self.alerts.get(self.alert_id)

    def audit(self) -> AuditRepository:
        return AuditRepository(self.aws.client("dynamodb"), self.aws.env("ApiFunction")["ALERT_LOG_TABLE"])

    def open(self, token: str | None = None, at: datetime = NOW) -> Page:
        """The link followed (GET), as a browser, a mail scanner or a link preview does."""
        query = {"t": self.token if token is None else token}
        return self.ingest("GET", "/ack", None, query, at)

    def confirm(self, token: str | None = None, at: datetime = NOW) -> Page:
        """The confirm page's form posted."""
        return self.ingest("POST", "/ack", f"t={self.token if token is None else token}", None, at)

    def ingest(self, method: str, path: str, body: str | None, query: dict[str, str] | None, at: datetime) -> Page:
        set_clock(lambda: at)
        try:
            event = api_event(method, path, body, query, headers=FORM)
            response = ingest_api.handler(event, LambdaContext("ingest"), services=self.services)
        finally:
            set_clock(None)
        headers = dict(response.get("headers") or {})
        headers.update({k: v[-1] for k, v in (response.get("multiValueHeaders") or {}).items()})
        return Page(int(response["statusCode"]), response["body"], headers)

    def tables(self) -> list[Any]:
        """Every item of the tables an acknowledgement writes (alerts, their log, the config)."""
        dynamodb, env = self.aws.client("dynamodb"), self.aws.env("ApiFunction")
        names = (env["ALERTS_TABLE"], env["ALERT_LOG_TABLE"], env["CONFIG_TABLE"])
        return [sorted(map(str, dynamodb.scan(TableName=name)["Items"])) for name in names]


@pytest.fixture
def mailed(aws: Aws, api: ApiClient) -> Iterator[Mailed]:
    """An e-mail channel on a rule whose alert fired, and the e-mail the notifier sent it."""
    aws.client("ses").verify_email_identity(EmailAddress=aws.env("NotifierFunction")["EMAIL_SENDER"])
    channel = {"channel_id": "ops-email", "name": "Ops e-mail", "type": "email", "target": {"to": ["o@example.com"]}}
    assert api.post("/channels", channel).status == 201
    notifier_handler.build.cache_clear()
    notifier_handler.generations.cache_clear()
    fire_one(aws, channels=["ops-email"])
    streams = aws.client("dynamodbstreams"), aws.client("sqs")
    mapping = StreamMapping(aws.stack, "NotifierFunction", "AlertsStream", *streams, notifier_handler.handler)
    mapping.poll()
    assert all(answer["batchItemFailures"] == [] for answer in mapping.drain())
    (mail,) = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    url = html.unescape(re.search(r'<a href="([^"]+)"[^>]*>Acknowledge</a>', mail.body).group(1))
    (alert,) = api.get("/alerts").body["items"]
    yield Mailed(aws, alert["alert_id"], url, build(IngestApiSettings.from_env()))
    set_clock(None)


def test_the_email_links_to_the_ingest_apis_ack_page_with_a_short_token(mailed: Mailed) -> None:
    ingest_url = mailed.aws.env("NotifierFunction")["INGEST_URL"]

    assert mailed.url.startswith(f"{ingest_url}/ack?t=")
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", mailed.token)


def test_following_the_link_shows_the_confirm_page_and_changes_nothing(mailed: Mailed) -> None:
    before = mailed.tables()

    pages = [mailed.open() for _ in range(3)]  # the reader, a mail scanner, a link preview

    assert mailed.tables() == before
    page = pages[-1]
    assert (page.status, page.title) == (200, "Acknowledge this alert?")
    assert '<form method="post" action="ack">' in page.text
    assert f'<input type="hidden" name="t" value="{mailed.token}">' in page.text
    assert "High CPU" in page.text and html.escape(ACTOR) in page.text
    assert "<script" not in page.text and "http" not in page.text.split("<body>")[1]  # nothing from elsewhere
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "same-origin"
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "form-action 'self'" in policy and "frame-ancestors 'none'" in policy
    assert mailed.alert().status == "firing"


def test_posting_the_form_acknowledges_as_the_channel_it_was_sent_to(mailed: Mailed) -> None:
    page = mailed.confirm()

    assert (page.status, page.title) == (200, "Acknowledged")
    alert = mailed.alert()
    assert (alert.status, alert.acknowledged_by, alert.acknowledged_at) == ("acknowledged", ACTOR, NOW)
    last = mailed.alerts.history(mailed.alert_id)[-1]
    assert (last.event, last.actor, last.note) == ("acknowledged", ACTOR, "from the e-mail link of transition 1")
    (entry,) = mailed.audit().page(AuditFilter(actor=ACTOR), 10, None, NOW).items
    assert (entry.action, entry.resource, entry.change) == (
        "ack",
        f"alert/{mailed.alert_id}",
        {"status": "acknowledged"},
    )


def test_a_second_post_says_already_acknowledged_by_the_channel_and_changes_nothing(mailed: Mailed) -> None:
    mailed.confirm()
    before = mailed.tables()

    again = mailed.confirm(at=NOW + timedelta(minutes=1))

    assert (again.status, again.title) == (409, f"Already acknowledged by {ACTOR}")
    assert mailed.tables() == before


def test_a_used_link_does_not_acknowledge_its_alert_again_once_it_fires_again(mailed: Mailed) -> None:
    mailed.confirm()
    mailed.services.lifecycle.unacknowledge(mailed.alert_id, "alice", "not mine", NOW + timedelta(minutes=1))
    before = mailed.tables()

    reused = mailed.confirm(at=NOW + timedelta(minutes=2))

    assert (reused.status, reused.title) == (409, "This link was used already")
    assert mailed.tables() == before and mailed.alert().status == "firing"


def test_an_expired_link_answers_a_page_saying_so_and_changes_nothing(mailed: Mailed) -> None:
    expired = mailed.alert().last_transition.at + timedelta(hours=24)
    before = mailed.tables()

    pages = [mailed.open(at=expired), mailed.confirm(at=expired)]

    assert [(p.status, p.title) for p in pages] == [(410, "This link has expired")] * 2
    assert mailed.tables() == before


@pytest.mark.parametrize(
    "altered",
    [
        lambda token: ("A" if token[0] != "A" else "B") + token[1:],  # one character changed
        lambda token: token[:-1],  # cut short
        lambda token: "",
        lambda token: token + "x" * 100,  # far too long to be one
    ],
)
def test_an_altered_link_answers_that_it_is_not_valid_and_changes_nothing(
    mailed: Mailed, altered: Callable[[str], str]
) -> None:
    before = mailed.tables()

    pages = [mailed.open(altered(mailed.token)), mailed.confirm(altered(mailed.token))]

    assert [p.title for p in pages] == ["This link is not valid"] * 2
    assert all(p.status in (404, 422) for p in pages)
    assert mailed.tables() == before


def test_the_link_of_a_resolved_alert_says_so_and_changes_nothing(mailed: Mailed, api: ApiClient) -> None:
    assert api.post(f"/alerts/{mailed.alert_id}/resolve", {"by": "alice"}).status == 200
    before = mailed.tables()

    pages = [mailed.open(), mailed.confirm()]

    assert [(p.status, p.title) for p in pages] == [(409, "This alert is resolved")] * 2
    assert mailed.tables() == before


def test_the_token_is_in_no_log_line(mailed: Mailed, ingest_log: Callable[[], str]) -> None:
    mailed.open()
    mailed.confirm()
    mailed.confirm()

    logged = ingest_log()
    assert '"outcome": "acknowledged"' in logged or '"outcome":"acknowledged"' in logged
    assert mailed.token not in logged


def test_the_openapi_document_shows_the_ack_pages_without_a_key(mailed: Mailed) -> None:
    page = mailed.ingest("GET", "/openapi.json", None, None, NOW)

    operations = json.loads(page.text)["paths"]["/ack"]
    assert set(operations) == {"get", "post"}
    assert all("security" not in operation and "401" not in operation["responses"] for operation in operations.values())
    assert "text/html; charset=utf-8" in operations["get"]["responses"]["410"]["content"]
