"""Alertmanager API v2 alerts, purely: what Prometheus posts → signals; our alerts → what amtool,
karma and Grafana read (shapes of Alertmanager 0.25's openapi.yaml)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from alerting.errors import InvalidInput
from alerting.lifecycle.signals import Receiver, open_alert
from alerting.models.alerts import Alert
from alerting.models.common import Severity
from alerting.models.inhibitions import Inhibition
from alerting.models.integrations import Integration
from alerting.sources.prometheus import gettable as g
from alerting.sources.prometheus.matchers import fingerprint, matches_filter, parse_matcher
from alerting.sources.prometheus.postable import MAX_ALERTS, RESOLVE_TIMEOUT, alert_signal, read_alerts
from alerting.sources.prometheus.shapes import GO_ZERO_TIME, AlertState, PostableAlert
from tests.factories import T0, make_silence
from tests.unit.channels.builders import make_alert

INTEGRATION = Integration(
    integration_id="prom", name="Prometheus", type="alertmanager", labels={"team": "payments"}, severity="low"
)
LABELS = {"alertname": "DiskFull", "instance": "db-1", "severity": "warning"}


def posted(**fields: Any) -> dict[str, Any]:
    return {
        "labels": LABELS,
        "annotations": {"summary": "disk 97% full"},
        "startsAt": (T0 - timedelta(minutes=2)).isoformat(),
        "endsAt": (T0 + timedelta(minutes=4)).isoformat(),
        "generatorURL": "http://prometheus:9090/graph?g0.expr=disk",
        **fields,
    }


def read(*alerts: Any) -> Any:
    return read_alerts(json.dumps(list(alerts)), INTEGRATION, T0)


# -- postable alerts → signals ----------------------------------------------------------------------


def test_a_firing_alert_is_a_signal_dated_by_its_start_and_carrying_its_end():
    (signal,) = read(posted()).signals

    assert (signal.source, signal.origin, signal.name, signal.firing) == (
        "prometheus",
        "prometheus:prom",
        "DiskFull",
        True,
    )
    assert signal.at == T0 - timedelta(minutes=2)
    assert signal.ends_at == T0 + timedelta(minutes=4)
    assert signal.labels == {"team": "payments", **LABELS}  # the integration's labels under Prometheus's
    assert signal.severity is Severity.medium  # severity=warning
    assert signal.annotations == {"summary": "disk 97% full"}
    assert signal.source_url == "http://prometheus:9090/graph?g0.expr=disk"


def test_a_resend_of_the_same_firing_is_the_same_alert_with_a_later_end():
    first, again = read(posted(), posted(endsAt=(T0 + timedelta(minutes=5)).isoformat())).signals

    assert first.fingerprint == again.fingerprint and first.at == again.at
    assert first.event_id != again.event_id  # so the lifecycle remembers the later end


def test_the_label_set_is_the_alert_whatever_the_order_and_empty_values():
    a = read(posted(labels={"instance": "db-1", "alertname": "DiskFull", "job": ""})).signals[0]
    b = read(posted(labels={"alertname": "DiskFull", "instance": "db-1"})).signals[0]

    assert a.fingerprint == b.fingerprint
    assert "job" not in a.labels  # Alertmanager drops labels with empty values


def test_an_alert_whose_end_has_passed_is_resolved_at_its_end():
    (signal,) = read(posted(endsAt=(T0 - timedelta(seconds=30)).isoformat())).signals

    assert signal.firing is False
    assert signal.at == T0 - timedelta(seconds=30)
    assert signal.ends_at is None


@pytest.mark.parametrize(
    ("fields", "starts", "ends"),
    [
        ({"startsAt": None, "endsAt": None}, T0, T0 + RESOLVE_TIMEOUT),
        ({"startsAt": "0001-01-01T00:00:00Z", "endsAt": "0001-01-01T00:00:00Z"}, T0, T0 + RESOLVE_TIMEOUT),
        ({"startsAt": None}, T0 + timedelta(minutes=4), T0 + timedelta(minutes=4)),
    ],
    ids=["neither", "go-zero-times", "no-start"],
)
def test_missing_times_are_completed_as_alertmanager_does(fields, starts, ends):
    body = {k: v for k, v in posted(**fields).items() if v is not None}

    signal = alert_signal(PostableAlert.model_validate(body), INTEGRATION, T0)

    assert (signal.at, signal.ends_at or signal.at) == (starts, ends)


def test_severity_is_the_integrations_unless_a_label_names_one():
    (signal,) = read(posted(labels={"alertname": "X", "severity": "sev-2"})).signals

    assert signal.severity is Severity.low


@pytest.mark.parametrize(
    ("alert", "field"),
    [
        ({"labels": {}}, "0.labels"),
        ({"labels": {"job": ""}}, "0.labels"),
        ({"labels": {"0day": "x"}}, "0.labels.0day"),
        ({"labels": {"a-b": "x"}}, "0.labels.a-b"),
        ({"labels": {"alertname": "x" * 1025}}, "0.labels.alertname"),
        ({"labels": {f"l{i}": "x" for i in range(33)}}, "0.labels"),
        ({"labels": {"alertname": 5}}, "0.labels.alertname"),
        ({"annotations": {"bad name": "x"}}, "0.annotations.bad name"),
        ({"generatorURL": "javascript:alert(1)"}, "0.generatorURL"),
        ({"startsAt": "yesterday"}, "0.startsAt"),
        ({"endsAt": (T0 - timedelta(hours=1)).isoformat()}, "0.endsAt"),
        ({"endsAt": "9999-01-01T00:00:00Z"}, "0.endsAt"),
    ],
)
def test_an_invalid_alert_is_named_by_its_field_and_the_valid_ones_still_count(alert, field):
    result = read(posted(**alert), posted(labels={"alertname": "Fine"}))

    assert [s.name for s in result.signals] == ["Fine"]
    assert [name for name, _ in result.errors] == [field]


def test_a_missing_labels_field_is_named():
    result = read({"annotations": {}}, "not an alert")

    assert result.errors == [("0.labels", "Field required"), ("1", "must be an alert object")]


@pytest.mark.parametrize(
    "body",
    ["", "{", '{"labels": {}}', "null", json.dumps([posted()] * (MAX_ALERTS + 1))],
    ids=["empty", "not-json", "an-object", "null", "too-many"],
)
def test_a_body_that_is_not_an_array_of_at_most_a_thousand_alerts_is_refused_whole(body):
    with pytest.raises(InvalidInput) as refused:
        read_alerts(body, INTEGRATION, T0)

    assert refused.value.field == "body"


def test_long_annotations_are_cut_not_refused():
    (signal,) = read(posted(annotations={"description": "x" * 5000})).signals

    assert len(signal.annotations["description"]) == 2048
    assert signal.annotations["description"].endswith("(truncated)")


# -- matchers and fingerprints ----------------------------------------------------------------------


def test_the_fingerprint_is_alertmanagers():
    # what Alertmanager 0.25 answered for an alert posted with these labels, and the empty set's
    assert fingerprint({"alertname": "DiskFull", "instance": "db-1"}) == "fd807b82f98f9135"
    assert fingerprint({}) == "cbf29ce484222325"
    assert fingerprint({"alertname": "A", "job": "b"}) == fingerprint({"job": "b", "alertname": "A"})
    assert fingerprint({"a": "bc"}) != fingerprint({"ab": "c"})


@pytest.mark.parametrize(
    ("text", "label", "op", "value"),
    [
        ('alertname="DiskFull"', "alertname", "=", "DiskFull"),
        ("alertname=DiskFull", "alertname", "=", "DiskFull"),
        (' job =~ "api|web" ', "job", "=~", "api|web"),
        ('msg!="say \\"hi\\""', "msg", "!=", 'say "hi"'),
        ("env!~prod.*", "env", "!~", "prod.*"),
        ("team=", "team", "=", ""),
    ],
)
def test_filters_parse_as_alertmanagers_parse_matcher(text, label, op, value):
    matcher = parse_matcher(text)

    assert (matcher.label, matcher.op.value, matcher.value) == (label, op, value)


@pytest.mark.parametrize("text", ["alertname", '1abc="x"', 'a="b"c"', 'a="open', "a=~(a+"])
def test_a_bad_filter_says_why(text):
    with pytest.raises(ValueError):
        parse_matcher(text)


def test_an_empty_filter_value_matches_an_absent_label_as_in_alertmanager():
    assert matches_filter([parse_matcher('team=""')], {"alertname": "A"})
    assert not matches_filter([parse_matcher('team=""')], {"team": "x"})
    assert matches_filter([parse_matcher('team!=""')], {"team": "x"})


# -- our alerts → gettable alerts -----------------------------------------------------------------


def prometheus_alert(labels: dict[str, str] | None = None) -> Alert:
    signal = read(posted(labels=labels or LABELS)).signals[0]
    return open_alert(signal, Receiver([]), T0)


def test_a_prometheus_alert_reads_back_with_its_labels_and_alertmanagers_fingerprint():
    alert = prometheus_alert()
    status = g.Quieting().status(alert, T0)

    shown = g.gettable(alert, status, ["payments"], T0 + timedelta(minutes=4))

    assert shown.labels == {"team": "payments", **LABELS}
    assert shown.fingerprint == fingerprint(shown.labels)
    assert (shown.startsAt, shown.endsAt) == ("2026-11-26T16:00:00.000Z", "2026-11-26T16:04:00.000Z")
    assert shown.status.model_dump() == {"state": "active", "silencedBy": [], "inhibitedBy": [], "mutedBy": []}
    assert [r.name for r in shown.receivers] == ["payments"]
    assert shown.generatorURL == "http://prometheus:9090/graph?g0.expr=disk"


def test_a_rule_alert_reads_back_with_alertname_its_name_and_no_known_end():
    shown = g.gettable(make_alert(), g.Quieting().status(make_alert(), T0), ["stack-topic"], None)

    assert shown.labels["alertname"] == shown.labels["rule_name"]
    assert shown.labels["source"] == "rule"
    assert shown.endsAt == GO_ZERO_TIME


def test_silenced_and_inhibited_alerts_are_suppressed_by_whom():
    alert = prometheus_alert()
    down = prometheus_alert({"alertname": "DatacenterDown", "severity": "critical"})
    inhibition = Inhibition(
        inhibition_id="dc",
        source=[{"label": "alertname", "value": "DatacenterDown"}],
        target=[{"label": "alertname", "value": "DiskFull"}],
    )
    silence = make_silence(matchers=[{"label": "severity", "value": "warning"}])  # as Prometheus sent it
    quieting = g.Quieting([silence], [inhibition], [alert, down])

    status = quieting.status(alert, T0)

    assert status.state is AlertState.suppressed
    assert (status.silencedBy, status.inhibitedBy) == (["drill"], [fingerprint(down.labels)])


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({}, ["DiskFull", "Quiet"]),
        ({"active": False}, ["Quiet"]),
        ({"silenced": False}, ["DiskFull"]),
        ({"filters": [parse_matcher("alertname=~Disk.*")]}, ["DiskFull"]),
        ({"receiver": "pay.*"}, ["DiskFull"]),
        ({"receiver": "pay"}, []),  # anchored, as Alertmanager anchors it
    ],
)
def test_the_alerts_query_filters_as_alertmanagers(query, shown):
    loud, quiet = prometheus_alert(), prometheus_alert({"alertname": "Quiet"})
    silence = make_silence(matchers=[{"label": "alertname", "value": "Quiet"}])
    options = {"active": True, "silenced": True, "inhibited": True, "filters": [], "receiver": None, **query}

    found = g.listed(
        [loud, quiet],
        g.AlertQuery.of(**options),
        g.Quieting([silence]),
        lambda labels: ["payments"] if labels["alertname"] == "DiskFull" else ["stack-topic"],
        {},
        T0,
    )

    assert sorted(a.labels["alertname"] for a in found) == shown


def test_an_alert_whose_end_passed_is_left_out_until_the_sweep_resolves_it():
    alert = prometheus_alert()

    found = g.listed([alert], g.AlertQuery(), g.Quieting(), lambda _: ["x"], {alert.alert_id: T0}, T0)

    assert found == []


def test_groups_are_one_per_receiver():
    alert = prometheus_alert()
    shown = g.listed([alert], g.AlertQuery(), g.Quieting(), lambda _: ["a", "b"], {}, T0)

    grouped = g.groups(shown, g.AlertQuery.of(True, True, True, [], "b"))

    assert [(group.receiver.name, group.labels, len(group.alerts)) for group in grouped] == [("b", {}, 1)]
