"""The live view on the local stack: the WebSocket routes and the broadcaster, with the real
handlers, moto's tables, and an independent WebSocket client (``websockets``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from alerting_local.lambda_runtime import LambdaContext
from alerting_local.serve import Runtime, web_front
from alerting_local.stack import LocalStack
from tests.factories import rule_data
from tests.infrastructure.test_iam import role_actions

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def local() -> Iterator[LocalStack]:
    with LocalStack(overrides={"LogLevel": "ERROR"}) as stack:
        for rule_id, severity in (("cpu-high", "high"), ("cpu-critical", "critical")):
            rule = rule_data(rule_id=rule_id, name=rule_id, severity=severity)
            status, body = stack.api("POST", "/rules", body=rule)
            assert status == 201, body
        yield stack


def connections(local: LocalStack) -> dict[str, str]:
    items = local.client("dynamodb").scan(TableName=local.stack.refs["ConnectionsTable"])["Items"]
    return {i["connection_id"]["S"]: i["subscription"]["S"] for i in items}


def fire(local: LocalStack, minute: int) -> None:
    at = NOW + timedelta(minutes=minute)
    for back in (30, 90, 150):
        local.put_metric("CPUUtilization", 99, at - timedelta(seconds=back))
    local.tick(at)
    local.pump_live()


def received(socket: ClientConnection, timeout: float = 2.0) -> list[dict]:
    messages = []
    while True:
        try:
            messages.append(json.loads(socket.recv(timeout=timeout)))
        except TimeoutError:
            return messages
        timeout = 0.3


def test_a_connection_hears_only_what_its_filter_matches_and_can_change_it(local: LocalStack):
    with connect(f"{local.live.url}?severity=critical") as critical, connect(local.live.url) as everything:
        assert len(connections(local)) == 2

        fire(local, 0)

        assert [m["alert"]["rule_id"] for m in received(critical)] == ["cpu-critical"]
        assert sorted(m["alert"]["rule_id"] for m in received(everything)) == ["cpu-critical", "cpu-high"]

        critical.send(json.dumps({"action": "subscribe", "filter": {"rule_id": ["cpu-high"], "status": ["resolved"]}}))
        assert json.loads(critical.recv(timeout=2))["subscribed"]["rule_id"] == ["cpu-high"]
        critical.send(json.dumps({"action": "subscribe", "filter": {"severity": ["urgent"]}}))
        assert json.loads(critical.recv(timeout=2))["field"] == "filter.severity.0"
        critical.send("not json")
        assert json.loads(critical.recv(timeout=2))["field"] == "body"
        critical.send(json.dumps({"action": "ping"}))
        assert json.loads(critical.recv(timeout=2)) == {"pong": True}

    assert connections(local) == {}  # $disconnect forgot both


def test_a_deeply_nested_message_is_answered_400_and_the_connection_carries_on(local: LocalStack):
    deep = "[" * 10_000 + "]" * 10_000  # json.loads would recurse past the stack: a RecursionError
    with connect(local.live.url) as page:
        page.send(json.dumps({"action": "subscribe"})[:-1] + ', "filter": ' + deep + "}")
        answer = json.loads(page.recv(timeout=2))
        assert (answer["error"], answer["field"]) == ("invalid_input", "body")
        assert "nested deeper than 64 levels" in answer["message"]
        page.send(json.dumps({"action": "ping"}))
        assert json.loads(page.recv(timeout=2)) == {"pong": True}


def test_a_bad_filter_refuses_the_handshake_with_400(local: LocalStack):
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{local.live.url}?severity=urgent")
    assert refused.value.response.status_code == 400
    assert connections(local) == {}


def test_the_hub_lets_in_the_web_fronts_pages_and_refuses_another_sites_handshake(local: LocalStack):
    with web_front(Runtime(local), quiet=True) as url:
        port = urlsplit(url).port
        with pytest.raises(InvalidStatus) as refused:
            connect(local.live.url, origin=Origin("https://evil.example"))
        assert refused.value.response.status_code == 403
        assert connections(local) == {}  # $connect never ran

        for front in (f"http://127.0.0.1:{port}", f"http://localhost:{port}"):
            with connect(local.live.url, origin=Origin(front)) as page:
                page.send(json.dumps({"action": "ping"}))
                assert json.loads(page.recv(timeout=2)) == {"pong": True}


def test_a_connection_that_is_gone_is_forgotten_when_a_push_gets_410(local: LocalStack):
    # A connection API Gateway dropped without $disconnect reaching us (it happens)
    local.client("dynamodb").put_item(
        TableName=local.stack.refs["ConnectionsTable"],
        Item={
            "connection_id": {"S": "vanished="},
            "subscription": {"S": "{}"},
            "caller": {"S": "test"},
            "connected_at": {"N": "0"},
            "expires_at": {"N": str(int(datetime.now(UTC).timestamp()) + 600)},
        },
    )
    fire(local, 0)
    with connect(local.live.url) as page:
        local.api("POST", "/alerts/" + open_alert(local) + "/ack", body={"by": "dana"})
        local.pump_live()
        assert [m["event"] for m in received(page)] == ["acknowledged"]
        assert list(connections(local)) != [] and "vanished=" not in connections(local)


def test_a_malformed_record_is_reported_and_the_rest_still_go_out(local: LocalStack):
    fire(local, 0)
    with connect(local.live.url) as page:
        good = local.live_stream.history()[-1]
        answer = local.handler("BroadcasterFunction")(
            {"Records": [{"eventName": "BOGUS", "dynamodb": {"SequenceNumber": "7"}}, good]}, LambdaContext("live")
        )
        assert answer == {"batchItemFailures": [{"itemIdentifier": "7"}]}
        assert len(received(page)) == 1


def test_the_live_functions_call_only_what_their_roles_allow(local: LocalStack):
    with connect(local.live.url) as page:
        fire(local, 0)
        assert received(page)
    for function in ("LiveConnectionsFunction", "BroadcasterFunction"):
        called = local.calls.actions[function]
        assert called, function
        assert called <= role_actions(function), (function, called - role_actions(function))
    assert "execute-api:ManageConnections" in local.calls.actions["BroadcasterFunction"]


def open_alert(local: LocalStack) -> str:
    status, page = local.api("GET", "/alerts", query={"status": "firing"})
    assert status == 200 and page["items"], page
    return str(page["items"][0]["alert_id"])
