"""The ingest API's door: where a key is read from, and who it lets in (fakes for the key store,
the owners and the rate limiter)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from alerting.errors import Forbidden, RateLimited, Unauthorized
from alerting.models.integrations import Integration, IntegrationType, key_hash, new_key
from alerting.repositories.keys import KeyOwner
from alerting.repositories.quotas import Rate
from ingest.gate import Admitted, Gate, anyone, header_key, integrations, path_key

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
KEY = "ak_" + "k3y-for-the-gate-tests" * 2  # fixed: test ids are made from it (xdist compares them)


def request(authorization: str | None = None) -> APIGatewayProxyEvent:
    return APIGatewayProxyEvent({"headers": {"Authorization": authorization} if authorization else {}, "path": "/"})


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("authorization", "key"),
    [
        (f"Bearer {KEY}", KEY),
        (f"bearer   {KEY} ", KEY),  # the scheme in any case, spaces around
        (basic("prometheus", KEY), KEY),  # basic auth: the key is the password
        (basic("", KEY), KEY),
        (basic(KEY, ""), None),  # not as the user name
        ("Basic not-base64!", None),
        ("Basic " + base64.b64encode(b"\xff\xfe:x").decode(), None),  # not UTF-8
        ("Bearer", None),
        (f"Token {KEY}", None),
        (None, None),
    ],
)
def test_header_key_reads_bearer_or_the_basic_password(authorization: str | None, key: str | None) -> None:
    assert header_key(request(authorization), "/anything") == key


@pytest.mark.parametrize(("tail", "key"), [(f"/{KEY}", KEY), (f"/{KEY}/fail", KEY), ("/", None), ("", None)])
def test_path_key_is_the_first_segment_below_the_prefix(tail: str, key: str | None) -> None:
    assert path_key(request(), tail) == key


def integration(kind: IntegrationType = IntegrationType.alertmanager, **fields: object) -> Integration:
    return Integration.model_validate(
        {"integration_id": "prom", "name": "Prometheus", "type": kind, "key_hash": key_hash(KEY), **fields}
    )


@dataclass
class FakeKeys:
    owners: dict[str, KeyOwner] = field(default_factory=dict)

    def owner(self, hashed: str) -> KeyOwner | None:
        return self.owners.get(hashed)


@dataclass
class FakeLimiter:
    wait: float = 0.0
    taken: list[tuple[str, str, datetime]] = field(default_factory=list)

    def take(self, rate: Rate, subject: str, at: datetime) -> float:
        self.taken.append((rate.name, subject, at))
        return self.wait


def gate(stored: Integration | None = None, wait: float = 0.0) -> tuple[Gate, FakeLimiter]:
    limiter = FakeLimiter(wait)
    keys = FakeKeys({key_hash(KEY): KeyOwner("integration", "prom")})
    found = {"prom": stored} if stored is not None else {}
    owners = {"integration": found.get}
    return Gate(keys, owners, limiter, Rate("ingest", 50, 100)), limiter  # type: ignore[arg-type]


def test_a_key_lets_its_integration_in_and_counts_one_request_toward_its_rate() -> None:
    door, limiter = gate(integration(labels={"team": "payments"}))

    admitted = door.admit(KEY, anyone, NOW)

    assert admitted.integration.labels == {"team": "payments"}
    assert limiter.taken == [("ingest", "integration#prom", NOW)]


@pytest.mark.parametrize(
    "key",
    [None, "", new_key(), KEY + "x", KEY[:-1]],
    ids=["none", "empty", "unknown", "longer", "shorter"],
)
def test_no_key_or_an_unknown_one_is_unauthorized_and_counts_nothing(key: str | None) -> None:
    door, limiter = gate(integration())

    with pytest.raises(Unauthorized):
        door.admit(key, anyone, NOW)
    assert limiter.taken == []


def test_a_key_whose_owner_is_gone_or_holds_another_hash_is_unauthorized() -> None:
    for stored in (None, integration(key_hash=key_hash(new_key()))):  # deleted; rotated meanwhile
        door, _ = gate(stored)
        with pytest.raises(Unauthorized):
            door.admit(KEY, anyone, NOW)


def test_a_disabled_integration_or_one_of_another_type_is_forbidden() -> None:
    door, _ = gate(integration(enabled=False))
    with pytest.raises(Forbidden, match="disabled"):
        door.admit(KEY, anyone, NOW)

    door, limiter = gate(integration(IntegrationType.events))
    with pytest.raises(Forbidden, match="events integration 'prom' is not for this API"):
        door.admit(KEY, integrations(IntegrationType.alertmanager), NOW)
    assert limiter.taken == []


@pytest.mark.parametrize(("wait", "retry_after"), [(0.02, 1), (1.0, 1), (1.2, 2)])
def test_past_its_rate_an_integration_is_told_the_whole_seconds_to_wait(wait: float, retry_after: int) -> None:
    door, _ = gate(integration(), wait=wait)

    with pytest.raises(RateLimited) as refused:
        door.admit(KEY, anyone, NOW)

    assert refused.value.retry_after == retry_after


def test_no_refusal_names_the_key() -> None:
    for stored, wait in ((integration(enabled=False), 0.0), (integration(), 5.0), (None, 0.0)):
        door, _ = gate(stored, wait)
        with pytest.raises((Unauthorized, Forbidden, RateLimited)) as refused:
            door.admit(KEY, anyone, NOW)
        assert KEY not in str(refused.value) and KEY[-8:] not in str(refused.value)


def test_admitted_describes_its_owner_for_the_rate_and_for_messages() -> None:
    admitted = Admitted("integration", integration())

    assert admitted.subject == "integration#prom"
    assert admitted.describe() == "the key of alertmanager integration 'prom'"
