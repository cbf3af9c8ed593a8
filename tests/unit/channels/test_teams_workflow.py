"""Teams: which hosts a workflow URL may name, and sending to a real HTTP server on 127.0.0.1
that answers as a Workflows trigger does (202 Accepted, 429 with Retry-After, 4xx, 5xx)."""

from __future__ import annotations

import json

import pytest

from alerting.channels.base import GroupMessage
from alerting.channels.http import HttpClient
from alerting.channels.teams import TeamsSender, check_workflow_url, group_payload, host_problem, payload
from alerting.errors import DeliveryError, InvalidInput
from alerting_local.receiver import Receiver, Reply
from tests.unit.channels.builders import TEAMS_PATH, TEAMS_QUERY, make_alert, make_message

WORKFLOW = "https://prod-27.westeurope.logic.azure.com:443/workflows/0f1e/triggers/manual/paths/invoke?sig=x"
PLATFORM = "https://0a1b2c.09.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/0f1e"
ACCEPTED = Reply.accepted()  # what a Workflows trigger answers: the flow run is queued


def _sender(http: HttpClient, receiver: Receiver, timeout: float = 2.0) -> TeamsSender:
    return TeamsSender(http, receiver.url(TEAMS_PATH) + TEAMS_QUERY, timeout=timeout)


@pytest.mark.parametrize("url", [WORKFLOW, PLATFORM, "https://PROD-01.eastus.Logic.Azure.com./workflows/x"])
@pytest.mark.parametrize("allow_private", [False, True])
def test_teams_host_of_a_workflow_is_allowed(url: str, allow_private: bool) -> None:
    assert host_problem(url, allow_private) is None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://hooks.slack.com/services/T/B/x", "is not a Teams workflow URL"),
        ("https://logic.azure.com/workflows/x", "is not a Teams workflow URL"),
        ("https://evillogic.azure.com/workflows/x", "is not a Teams workflow URL"),
        ("https://prod-1.logic.azure.com.evil.example/workflows/x", "is not a Teams workflow URL"),
        ("https://api.powerplatform.com.evil.example/x", "is not a Teams workflow URL"),
        ("https://contoso.webhook.office.com/webhookb2/x", "is an Office 365 connector URL"),
        ("https://outlook.office.com/webhook/x", "is an Office 365 connector URL"),
        ("http://127.0.0.1:8080/teams", "is not a Teams workflow URL"),
        ("http://localhost/teams", "is not a Teams workflow URL"),
    ],
)
def test_teams_host_outside_the_workflow_hosts_is_refused(url: str, problem: str) -> None:
    found = host_problem(url, allow_private=False)

    assert found is not None and found.startswith(problem)
    assert url not in found


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/teams", "http://localhost/x", "http://10.0.0.7/x"])
def test_teams_host_local_stand_in_is_allowed_only_in_local_mode(url: str) -> None:
    assert host_problem(url, allow_private=True) is None
    assert host_problem("https://evil.example/x", allow_private=True) is not None


def test_teams_check_workflow_url_names_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_workflow_url("https://evil.example/hook?sig=s3cr3t", allow_private=True, field="target.webhook_url")

    assert caught.value.field == "target.webhook_url"
    assert "s3cr3t" not in str(caught.value)


def test_teams_check_workflow_url_also_applies_the_webhook_rules() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_workflow_url(WORKFLOW.replace("https://", "http://"), allow_private=False, field="target.webhook_url")

    assert (caught.value.field, caught.value.message) == ("target.webhook_url", "must be an https URL")


def test_teams_send_posts_the_card_and_returns_the_accepted_receipt(receiver: Receiver, http: HttpClient) -> None:
    receiver.script(TEAMS_PATH, ACCEPTED)
    message = make_message(console_url="https://alerts.example.com")

    receipt = _sender(http, receiver).send(message)

    (request,) = receiver.received(TEAMS_PATH)
    assert request.json == payload(message)[0]
    assert request.headers["Content-Type"] == "application/json"
    assert (receipt.http_status, receipt.template_error) == (202, None)


def test_teams_send_group_posts_one_card(receiver: Receiver, http: HttpClient) -> None:
    receiver.script(TEAMS_PATH, ACCEPTED)
    group = GroupMessage((make_alert(),), "ops:k:1", {})

    receipt = _sender(http, receiver).send_group(group)

    (request,) = receiver.received(TEAMS_PATH)
    assert request.json == group_payload(group)
    assert receipt.http_status == 202


def test_teams_send_keeps_non_ascii_text_as_utf8(receiver: Receiver, http: HttpClient) -> None:
    _sender(http, receiver).send(make_message())

    (request,) = receiver.received(TEAMS_PATH)
    assert "≥ 85".encode() in request.body
    assert json.loads(request.body.decode("utf-8")) == request.json


@pytest.mark.parametrize(
    ("reply", "retryable", "retry_after"),
    [
        (Reply(429, "", {"Retry-After": "7"}), True, 7.0),
        (Reply(502, ""), True, None),
        (Reply(400, '{"error":{"code":"TriggerInputSchemaMismatch"}}'), False, None),
        (Reply(401, '{"error":{"code":"DirectApiAuthorizationRequired"}}'), False, None),
        (Reply(404, '{"error":{"code":"WorkflowNotFound"}}'), False, None),
    ],
)
def test_teams_send_error_answers_are_classified(
    receiver: Receiver, http: HttpClient, reply: Reply, retryable: bool, retry_after: float | None
) -> None:
    receiver.script(TEAMS_PATH, reply)

    with pytest.raises(DeliveryError) as caught:
        _sender(http, receiver).send(make_message())

    assert (caught.value.retryable, caught.value.retry_after, caught.value.status_code) == (
        retryable,
        retry_after,
        reply.status,
    )
    assert str(caught.value).startswith(f"teams workflow answered {reply.status}")
    assert TEAMS_QUERY not in str(caught.value)


def test_teams_send_hung_workflow_is_retryable_timeout(receiver: Receiver, http: HttpClient) -> None:
    receiver.script(TEAMS_PATH, Reply.hang())

    with pytest.raises(DeliveryError) as caught:
        _sender(http, receiver, timeout=0.3).send(make_message())

    assert (str(caught.value), caught.value.retryable) == ("teams workflow timed out after 0.3s", True)


def test_teams_send_to_a_foreign_host_fails_for_good_and_sends_nothing(receiver: Receiver) -> None:
    # Given a stored URL of the local receiver, but a deployment that admits only public targets
    sender = _sender(HttpClient(allow_private=False), receiver)

    with pytest.raises(DeliveryError) as caught:
        sender.send(make_message())

    assert caught.value.retryable is False
    assert str(caught.value).startswith("teams workflow target rejected: is not a Teams workflow URL")
    assert receiver.received() == []
