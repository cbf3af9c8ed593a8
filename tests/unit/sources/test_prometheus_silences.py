"""Alertmanager API v2 silences and status, purely: our silences ⇄ Alertmanager's, Alertmanager's
`canUpdate`, and the routes as Alertmanager's configuration."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import yaml

from alerting.errors import InvalidInput
from alerting.models.routes import StoredRoute
from alerting.models.silences import SilenceSpec
from alerting.silencing import updatable
from alerting.sources.prometheus import config
from alerting.sources.prometheus.matchers import parse_matcher
from alerting.sources.prometheus.silences import gettable_silence, listed, posted_silence
from tests.factories import T0, make_silence


def body(**fields: Any) -> str:
    return json.dumps(
        {
            "matchers": [{"name": "alertname", "value": "DiskFull", "isRegex": False}],
            "startsAt": T0.isoformat(),
            "endsAt": (T0 + timedelta(hours=1)).isoformat(),
            "createdBy": "alice",
            "comment": "maintenance",
            **fields,
        }
    )


def test_a_silence_reads_as_alertmanagers():
    silence = make_silence(
        matchers=[{"label": "job", "op": "=~", "value": "api|web"}, {"label": "env", "op": "!=", "value": "dev"}]
    )

    shown = gettable_silence(silence, T0).model_dump()

    assert shown == {
        "id": "drill",
        "status": {"state": "active"},
        "updatedAt": "2026-11-26T16:00:00.000Z",
        "matchers": [
            {"name": "job", "value": "api|web", "isRegex": True, "isEqual": True},
            {"name": "env", "value": "dev", "isRegex": False, "isEqual": False},
        ],
        "startsAt": "2026-11-26T15:00:00.000Z",
        "endsAt": "2026-11-26T17:00:00.000Z",
        "createdBy": "alice",
        "comment": "",
    }


def test_a_posted_silence_is_ours_with_its_id():
    silence_id, spec = posted_silence(body(id="abc", matchers=[{"name": "job", "value": "a.*", "isRegex": True}]), T0)

    assert silence_id == "abc"
    assert [(m.label, m.op.value, m.value) for m in spec.matchers] == [("job", "=~", "a.*")]
    assert (spec.created_by, spec.comment, spec.ends_at) == ("alice", "maintenance", T0 + timedelta(hours=1))


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"matchers": []}, "matchers"),
        ({"matchers": [{"name": "job", "value": "x"}]}, "matchers.0.isRegex"),
        ({"matchers": [{"name": "job", "value": "(a+", "isRegex": True}]}, "matchers.0.value"),
        ({"matchers": [{"name": "job", "value": "", "isRegex": False}]}, "matchers"),  # matches everything
        ({"createdBy": ""}, "createdBy"),
        ({"comment": None}, "comment"),
        ({"endsAt": T0.isoformat()}, "endsAt"),  # not after its start
        ({"startsAt": "2026-11-26T16:00:00"}, "startsAt"),  # no zone
    ],
)
def test_a_bad_silence_names_alertmanagers_field(fields, field):
    with pytest.raises(InvalidInput) as refused:
        posted_silence(body(**fields), T0)

    assert refused.value.field == field


def test_a_silence_ending_in_the_past_is_refused_as_alertmanager_refuses_it():
    with pytest.raises(InvalidInput, match="end time can't be in the past"):
        posted_silence(
            body(startsAt=(T0 - timedelta(hours=2)).isoformat(), endsAt=(T0 - timedelta(hours=1)).isoformat()), T0
        )


def spec(**fields: Any) -> SilenceSpec:
    data = {
        "matchers": [{"label": "rule_id", "value": "high-cpu"}],
        "starts_at": T0 - timedelta(hours=1),
        "ends_at": T0 + timedelta(hours=2),
        "created_by": "bob",
    }
    return SilenceSpec.model_validate(data | fields)


@pytest.mark.parametrize(
    ("previous", "wanted", "in_place"),
    [
        ({}, {}, True),  # active: a new end and author
        ({}, {"matchers": [{"label": "rule_id", "value": "other"}]}, False),
        ({}, {"starts_at": T0 - timedelta(minutes=30)}, False),  # an active one keeps its start
        ({}, {"ends_at": T0 - timedelta(minutes=1)}, False),
        ({"starts_at": T0 + timedelta(hours=1)}, {"starts_at": T0 + timedelta(minutes=5)}, True),  # pending
        ({"starts_at": T0 + timedelta(hours=1)}, {"starts_at": T0 - timedelta(minutes=5)}, False),
        ({"ends_at": T0 - timedelta(minutes=1)}, {}, False),  # expired
    ],
)
def test_a_silence_changes_in_place_only_as_alertmanagers_can_update_allows(previous, wanted, in_place):
    assert updatable(make_silence(**previous), spec(**wanted), T0) is in_place


def test_silences_are_listed_active_then_pending_then_expired_and_filtered_by_their_matchers():
    hour = timedelta(hours=1)
    silences = [
        make_silence(silence_id="expired-early", ends_at=T0 - 2 * hour, starts_at=T0 - 3 * hour),
        make_silence(silence_id="pending", starts_at=T0 + hour, ends_at=T0 + 2 * hour),
        make_silence(silence_id="active-late", ends_at=T0 + 3 * hour),
        make_silence(silence_id="expired-late", ends_at=T0 - hour, starts_at=T0 - 3 * hour),
        make_silence(silence_id="active", matchers=[{"label": "job", "value": "api"}]),
    ]

    assert [s.id for s in listed(silences, [], T0)] == [
        "active",
        "active-late",
        "pending",
        "expired-late",
        "expired-early",
    ]
    assert [s.id for s in listed(silences, [parse_matcher('job="api"')], T0)] == ["active"]


# -- the routes as Alertmanager's configuration ---------------------------------------------------


def routes() -> list[StoredRoute]:
    payments = {
        "route_id": "payments",
        "name": "Payments",
        "position": 1,
        "matchers": [{"label": "team", "value": "payments"}],
        "receiver": {"channels": ["pay-slack"]},
        "continue": True,
        "routes": [
            {
                "matchers": [{"label": "severity", "op": "=~", "value": "critical|page"}],
                "receiver": {"channels": ["pd"]},
            },
            {"matchers": [{"label": "env", "value": "dev"}]},
        ],
    }
    catch_all = {"route_id": "everything", "name": "Everything", "position": 2, "receiver": {"channels": ["ops"]}}
    return [StoredRoute.model_validate(r) for r in (catch_all, payments)]


def test_receivers_are_named_after_their_routes():
    tree = config.Tree.of(routes())

    assert [r.name for r in tree.every_receiver()] == ["stack-topic", "Payments", "Payments/0", "Everything"]
    assert tree.receivers({"team": "payments", "severity": "page"}) == ["Payments/0", "Everything"]
    assert tree.receivers({"team": "payments", "env": "dev"}) == ["Payments", "Everything"]  # inherited
    assert config.Tree.of([]).receivers({"team": "x"}) == ["stack-topic"]


def test_the_tree_is_alertmanager_yaml():
    document = yaml.safe_load(config.original(config.Tree.of(routes())))

    assert document == {
        "route": {
            "receiver": "stack-topic",
            "routes": [
                {
                    "receiver": "Payments",
                    "matchers": ['team="payments"'],
                    "continue": True,
                    "routes": [
                        {"receiver": "Payments/0", "matchers": ['severity=~"critical|page"']},
                        {"receiver": "Payments", "matchers": ['env="dev"']},
                    ],
                },
                {"receiver": "Everything"},
            ],
        },
        "receivers": [{"name": "stack-topic"}, {"name": "Payments"}, {"name": "Payments/0"}, {"name": "Everything"}],
    }


def test_status_says_no_cluster_the_api_version_and_the_tree():
    status = config.status(config.Tree.of([]), "1.4.0", T0).model_dump()

    assert status["cluster"] == {"status": "disabled", "peers": []}
    assert (status["versionInfo"]["version"], status["versionInfo"]["revision"]) == ("0.25.0", "1.4.0")
    assert status["uptime"] == "2026-11-26T16:00:00.000Z"
    assert yaml.safe_load(status["config"]["original"]) == {
        "route": {"receiver": "stack-topic", "routes": []},
        "receivers": [{"name": "stack-topic"}],
    }
