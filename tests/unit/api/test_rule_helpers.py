"""Small decisions of the rules and channels services: versions, label filters, secret views."""

from __future__ import annotations

import pytest

from alerting.errors import InvalidInput
from alerting.models.channels import Channel
from alerting.models.common import Severity
from api.services.channels import is_marker, redact, view
from api.services.concurrency import expected_version
from api.services.rules import RuleFilter, parse_labels
from tests.factories import make_rule


@pytest.mark.parametrize(
    ("body", "header", "version"),
    [(3, None, 3), (None, "3", 3), (None, '"3"', 3), (None, 'W/"3"', 3), (3, '"3"', 3)],
)
def test_expected_version_from_body_or_if_match(body, header, version):
    assert expected_version(body, header) == version


@pytest.mark.parametrize(
    ("body", "header", "field"),
    [
        (None, None, "version"),
        (2, "3", "version"),
        (None, "*", "If-Match"),
        (None, "١٢", "If-Match"),  # Arabic-Indic digits: int() reads 12
        (None, '"²"', "If-Match"),  # a digit to str.isdigit(), not to int()
        (None, "1" * 5000, "If-Match"),  # past int()'s 4,300 digits
        (None, "9" * 19, "If-Match"),  # more than any stored version
        (None, "", "If-Match"),
    ],
)
def test_expected_version_refuses_what_it_cannot_use(body, header, field):
    with pytest.raises(InvalidInput) as caught:
        expected_version(body, header)
    assert caught.value.field == field


def test_label_filters_parse_key_value_and_all_must_match():
    labels = parse_labels(["team:web", "url:http://x"])
    assert labels == (("team", "web"), ("url", "http://x"))
    keep = RuleFilter(labels=labels).keep
    assert keep(make_rule(labels={"team": "web", "url": "http://x", "env": "prod"}))
    assert not keep(make_rule(labels={"team": "web"}))
    with pytest.raises(InvalidInput):
        parse_labels([":web"])


def test_rule_filter_by_enabled_and_severity():
    assert RuleFilter(enabled=False, severity=None).keep(make_rule(enabled=False))
    assert not RuleFilter(severity=Severity.low).keep(make_rule(severity="high"))
    assert RuleFilter(severity=Severity.high).keep(make_rule(severity="high"))


def test_channel_view_masks_every_secret_field_of_its_type():
    channel = Channel(channel_id="c", name="n", type="webhook", target={}, secret_refs={"url": "/p/c/url"})
    assert view(channel).target == {
        "url": {"secret": True, "set": True},
        "secret": {"secret": True, "set": False},
    }


def test_marker_and_redaction():
    assert is_marker({"secret": True, "set": True}) and not is_marker("https://x") and not is_marker({"a": 1})
    assert redact("POST https://hooks/abc123 failed", {"url": "https://hooks/abc123"}) == "POST *** failed"
