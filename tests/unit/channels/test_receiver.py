"""The local receiver itself: scripted replies in order, recording, and a clean stop."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from alerting_local.receiver import Receiver, Reply


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as client:
        yield client


def test_receiver_answers_script_in_order_then_ok(receiver: Receiver, session: requests.Session) -> None:
    receiver.script("/a", Reply.rate_limited("9"), Reply.server_error())

    answers = [session.post(receiver.url("/a"), json={"n": i}, timeout=2) for i in range(3)]

    assert [(r.status_code, r.text) for r in answers] == [
        (429, "rate_limited"),
        (500, "rollup_error"),
        (200, "ok"),
    ]
    assert answers[0].headers["Retry-After"] == "9"
    assert [r.json for r in receiver.received("/a")] == [{"n": 0}, {"n": 1}, {"n": 2}]


def test_receiver_answers_a_teams_message_as_a_workflow_does(receiver: Receiver, session: requests.Session) -> None:
    teams = session.post(receiver.url("/teams"), json={"type": "message", "attachments": []}, timeout=2)
    other = session.post(receiver.url("/teams"), json={"type": "other"}, timeout=2)

    assert [(teams.status_code, teams.text), (other.status_code, other.text)] == [(202, ""), (200, "ok")]


def test_receiver_scripts_are_per_path(receiver: Receiver, session: requests.Session) -> None:
    receiver.script("/a", Reply.bad_request())

    assert session.post(receiver.url("/b"), data=b"x", timeout=2).status_code == 200
    assert session.post(receiver.url("/a"), data=b"x", timeout=2).status_code == 400
    assert [r.path for r in receiver.received()] == ["/b", "/a"]
    assert receiver.received("/b")[0].json is None  # not JSON


def test_receiver_stop_ends_a_hanging_request_promptly(session: requests.Session) -> None:
    # Given a request the receiver hangs on for longer than the test would wait
    receiver = Receiver().start()
    receiver.script("/slow", Reply.hang(seconds=60))
    client = threading.Thread(target=_post_ignoring_errors, args=(session, receiver.url("/slow")))
    client.start()
    while not receiver.received("/slow"):
        time.sleep(0.01)

    # When the receiver stops
    receiver.stop()

    # Then the hung request is answered and released: stop() joined its handler thread
    client.join(timeout=5)
    assert not client.is_alive()


def _post_ignoring_errors(session: requests.Session, url: str) -> None:
    with contextlib.suppress(requests.RequestException):
        session.post(url, data=b"{}", timeout=30)
