"""PagerDuty Events API v2 events (PagerDuty's own examples, and what Alertmanager 0.25 sends) →
signals, acknowledgements, or PagerDuty's 400 naming each field at fault."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from alerting.models.common import Severity
from alerting.models.integrations import Integration
from alerting.models.signals import Signal, fingerprint_of
from alerting.sources.events_api import (
    MAX_ANNOTATION,
    MAX_DETAILS,
    Acknowledgement,
    Event,
    command,
    routing_key,
)
from tests.factories import T0

NOW = T0.replace(microsecond=123456)
PAYMENTS = Integration.model_validate(
    {
        "integration_id": "payments-pd",
        "name": "Payments via PagerDuty",
        "type": "events",
        "labels": {"team": "payments"},
        "created_at": T0,
        "updated_at": T0,
    }
)


def documented(**overrides: Any) -> dict[str, Any]:
    """PagerDuty's example trigger ("Send an Alert Event")."""
    event: dict[str, Any] = {
        "payload": {
            "summary": "Example alert on host1.example.com",
            "timestamp": "2015-07-17T08:42:58.315+0000",
            "source": "monitoringtool:cloudvendor:central-region-dc-01:852559987:cluster/api-stats-prod-003",
            "severity": "info",
            "component": "postgres",
            "group": "prod-datapipe",
            "class": "deploy",
            "custom_details": {"ping time": "1500ms", "load avg": 0.75},
        },
        "routing_key": "samplekeyhere",
        "dedup_key": "samplekeyhere",
        "images": [{"src": "https://www.pagerduty.com/logo.png", "href": "https://example.com/", "alt": "Example"}],
        "links": [{"href": "https://example.com/", "text": "Link text"}],
        "event_action": "trigger",
        "client": "Sample Monitoring Service",
        "client_url": "https://monitoring.example.com",
    }
    event.update(overrides)
    return event


def alertmanager(action: str = "trigger") -> dict[str, Any]:
    """What Alertmanager 0.25's pagerduty notifier posts with its defaults (notify/pagerduty)."""
    return {
        "routing_key": "ak_test",
        "dedup_key": "3c6ad1b3b4c9e1b0c8b1f2d4c5a6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8",
        "event_action": action,
        "payload": {
            "summary": "[FIRING:1] DiskFull (db1 critical)",
            "source": "Alertmanager",
            "severity": "error",
            "custom_details": {"firing": "Labels:\n - alertname = DiskFull\n", "num_firing": "1", "resolved": ""},
        },
        "client": "Alertmanager",
        "client_url": "http://alertmanager.example:9093/#/alerts?receiver=pager",
    }


def parsed(document: dict[str, Any]) -> Event:
    return Event.model_validate_json(json.dumps(document))


def signal_of(document: dict[str, Any], new_key: str = "generated") -> Signal:
    signal = command(parsed(document), PAYMENTS, NOW, new_key)
    assert isinstance(signal, Signal), signal
    return signal


def problems(document: Any) -> list[tuple[str, str]]:
    """Each field at fault and what is wrong with it (the ingest route words them as PagerDuty does)."""
    with pytest.raises(ValidationError) as refused:
        Event.model_validate_json(json.dumps(document))
    return [
        (".".join(str(p) for p in e["loc"]), e["msg"].removeprefix("Value error, ")) for e in refused.value.errors()
    ]


def test_a_trigger_fires_the_alert_of_its_integration_and_dedup_key():
    signal = signal_of(documented())

    assert (signal.source, signal.origin, signal.key, signal.firing) == (
        "events",
        "events:payments-pd",
        "samplekeyhere",
        True,
    )
    assert signal.fingerprint == fingerprint_of("events:payments-pd", "samplekeyhere")
    assert (signal.name, signal.severity) == ("Example alert on host1.example.com", Severity.info)
    assert signal.at == T0  # when it arrived, to the second: events count in arrival order
    assert signal.labels == {
        "team": "payments",
        "event_source": "monitoringtool:cloudvendor:central-region-dc-01:852559987:cluster/api-stats-prod-003",
        "component": "postgres",
        "group": "prod-datapipe",
        "class": "deploy",
    }
    assert signal.annotations == {
        "summary": "Example alert on host1.example.com",
        "dedup_key": "samplekeyhere",
        "timestamp": "2015-07-17T08:42:58Z",
        "client": "Sample Monitoring Service",
        "client_url": "https://monitoring.example.com",
        "links": "Link text: https://example.com/",
        "images": "https://www.pagerduty.com/logo.png",
        "ping time": "1500ms",
        "load avg": "0.75",
    }
    assert signal.source_url == "https://monitoring.example.com"


@pytest.mark.parametrize(
    ("sent", "ours"),
    [("critical", Severity.critical), ("error", Severity.high), ("warning", Severity.medium), ("info", Severity.info)],
)
def test_each_pagerduty_severity_maps_onto_ours(sent: str, ours: Severity):
    event = documented()
    event["payload"]["severity"] = sent

    assert signal_of(event).severity is ours


def test_what_alertmanager_sends_fires_then_resolves_the_same_alert():
    fired, resolved = signal_of(alertmanager("trigger")), signal_of(alertmanager("resolve"))

    assert (fired.firing, resolved.firing) == (True, False)
    assert fired.fingerprint == resolved.fingerprint
    assert (fired.name, fired.severity) == ("[FIRING:1] DiskFull (db1 critical)", Severity.high)
    assert fired.labels == {"team": "payments", "event_source": "Alertmanager"}
    assert fired.annotations["firing"] == "Labels:\n - alertname = DiskFull\n"
    assert "resolved" not in fired.annotations or fired.annotations["resolved"] == ""
    assert fired.source_url == "http://alertmanager.example:9093/#/alerts?receiver=pager"


def test_resolve_and_acknowledge_need_only_the_key_and_the_action():
    resolve = signal_of({"routing_key": "k", "dedup_key": "srv01/mysql", "event_action": "resolve"})
    acknowledge = command(
        parsed({"routing_key": "k", "dedup_key": "srv01/mysql", "event_action": "acknowledge"}), PAYMENTS, NOW, "x"
    )

    assert (resolve.firing, resolve.key, resolve.origin) == (False, "srv01/mysql", "events:payments-pd")
    assert acknowledge == Acknowledgement("events:payments-pd", "srv01/mysql")
    assert isinstance(acknowledge, Acknowledgement)
    assert acknowledge.fingerprint == resolve.fingerprint


def test_a_trigger_without_a_dedup_key_gets_the_one_made_up_for_it():
    event = documented()
    del event["dedup_key"]

    assert signal_of(event, new_key="4c1e0ba7").key == "4c1e0ba7"


def test_fields_pagerduty_does_not_know_are_ignored():
    assert signal_of(documented(service_key="v1", extra={"a": 1})).key == "samplekeyhere"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"routing_key": None}, ("routing_key", "Input should be a valid string")),
        ({"routing_key": " "}, ("routing_key", "is missing or blank")),
        ({"event_action": "page"}, ("event_action", "Input should be 'trigger', 'acknowledge' or 'resolve'")),
        ({"dedup_key": "k" * 256}, ("dedup_key", "String should have at most 255 characters")),
        ({"payload": None}, ("", "'payload' is missing: a trigger needs summary, source and severity")),
        ({"payload": {"source": "db1", "severity": "info"}}, ("payload.summary", "Field required")),
        (
            {"payload": {"summary": "s" * 1025, "source": "db1", "severity": "info"}},
            ("payload.summary", "String should have at most 1024 characters"),
        ),
        ({"payload": {"summary": "x", "source": "", "severity": "info"}}, ("payload.source", "is missing or blank")),
        (
            {"payload": {"summary": "x", "source": "db1", "severity": "high"}},
            ("payload.severity", "Input should be 'critical', 'error', 'warning' or 'info'"),
        ),
        (
            {"payload": {"summary": "x", "source": "db1", "severity": "info", "timestamp": "yesterday"}},
            ("payload.timestamp", "Input should be a valid datetime or date, input is too short"),
        ),
        (
            {"payload": {"summary": "x", "source": "db1", "severity": "info", "timestamp": "0001-01-01T00:00:00Z"}},
            ("payload.timestamp", "must be from 1900-01-01T00:00:00Z to before 9000-01-01T00:00:00Z"),
        ),
        (
            {"payload": {"summary": 5, "source": "db1", "severity": "info"}},
            ("payload.summary", "Input should be a valid string"),
        ),
        ({"links": [{"text": "no href"}]}, ("links.0.href", "Field required")),
        ({"images": [{"src": ""}]}, ("images.0.src", "is missing or blank")),
        ({"links": {"href": "https://x"}}, ("links", "Input should be a valid array")),
    ],
)
def test_an_invalid_trigger_names_the_field_at_fault(change: dict[str, Any], problem: tuple[str, str]):
    assert problems(documented(**change)) == [problem]


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_acknowledge_and_resolve_without_a_dedup_key_are_invalid(action: str):
    assert problems({"routing_key": "k", "event_action": action}) == [
        ("", f"'dedup_key' is missing: {action} names the alert by its dedup_key")
    ]


def test_every_field_at_fault_is_named_at_once():
    assert problems({"event_action": "trigger", "payload": {"severity": "bad"}}) == [
        ("routing_key", "Field required"),
        ("payload.summary", "Field required"),
        ("payload.source", "Field required"),
        ("payload.severity", "Input should be 'critical', 'error', 'warning' or 'info'"),
    ]


def test_custom_details_are_kept_within_bounds_and_our_own_names_win():
    details = {f"d{n:02}": "v" * (MAX_ANNOTATION + 10) for n in range(MAX_DETAILS + 3)}
    details["summary"] = "not the summary"
    event = documented()
    event["payload"]["custom_details"] = details

    annotations = signal_of(event).annotations

    assert annotations["summary"] == "Example alert on host1.example.com"
    assert annotations["custom_details_dropped"] == "4"
    assert len(annotations["d00"]) == MAX_ANNOTATION and annotations["d00"].endswith("(truncated)")
    assert "d22" not in annotations


def test_custom_details_that_are_no_object_are_kept_as_their_text():
    event = documented()
    event["payload"]["custom_details"] = ["disk", 99]

    assert signal_of(event).annotations["custom_details"] == '["disk", 99]'


def test_only_web_links_are_kept():
    event = documented(client_url="javascript:alert(1)", links=[{"href": "javascript:x", "text": "bad"}])
    event["images"] = [{"src": "data:image/png;base64,AAAA"}]

    signal = signal_of(event)

    assert signal.source_url is None
    assert not {"client_url", "links", "images"} & set(signal.annotations)


def test_the_routing_key_is_read_before_the_event_is_checked():
    assert routing_key(json.dumps({"routing_key": "ak_abc", "event_action": "page"})) == "ak_abc"
    assert routing_key(json.dumps({"routing_key": 5})) is None
    assert routing_key("[]") is None
    assert routing_key("{") is None


def test_a_timestamp_in_pagerdutys_basic_offset_form_is_read():
    assert parsed(documented()).payload.timestamp == datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)  # type: ignore[union-attr]


def test_a_custom_detail_without_a_name_is_dropped():
    event = documented()
    event["payload"]["custom_details"] = {"": "nameless", " ": "blank", "disk": "99%"}

    annotations = signal_of(event).annotations

    assert annotations["disk"] == "99%" and not {"", " "} & set(annotations)
