"""Audit summaries: a creation's fields, a replacement's changed fields as {from, to}, nothing
for a deletion; never a secret (a channel's write-only fields, an integration's key shown once,
anything named like a secret); bounded in fields and in characters."""

from __future__ import annotations

import json

from alerting.audit import MAX_FIELDS, MAX_VALUE, REDACTED, change_of, note_of

SLACK_VIEW = {
    "channel_id": "ops",
    "name": "Ops",
    "type": "slack",
    "target": {"webhook_url": {"secret": True, "set": True}, "signing_secret": {"secret": True, "set": False}},
    "version": 2,
    "updated_at": "2026-12-01T00:00:00Z",
}


def test_change_of_a_creation_is_its_fields_without_server_ones_or_secrets():
    assert change_of(None, SLACK_VIEW) == {
        "channel_id": "ops",
        "name": "Ops",
        "type": "slack",
        "target": {"webhook_url": REDACTED, "signing_secret": REDACTED},
    }


def test_change_of_a_replacement_lists_only_changed_fields():
    after = {**SLACK_VIEW, "name": "Ops room", "version": 3}
    assert change_of(SLACK_VIEW, after) == {"name": {"from": "Ops", "to": "Ops room"}}


def test_change_of_a_deletion_is_empty():
    assert change_of(SLACK_VIEW, None) == {}


def test_an_integrations_key_shown_once_never_reaches_the_summary():
    created = {"integration_id": "prom", "type": "alertmanager", "key": "am_s3cr3t-value", "key_hint": "am_s…"}
    change = change_of(None, created)
    assert "am_s3cr3t-value" not in json.dumps(change)
    assert change["key"] == REDACTED and change["integration_id"] == "prom"


def test_secret_names_nested_anywhere_are_redacted():
    after = {"target": {"headers": [{"Authorization": "Bearer x"}], "password": "p", "url": "https://x"}}
    text = json.dumps(change_of(None, after))
    assert "Bearer x" not in text and '"p"' not in text and "https://x" in text


def test_change_of_is_bounded_in_fields_and_characters():
    after = {f"field{n:02d}": "x" * 1000 for n in range(MAX_FIELDS + 5)}
    change = change_of(None, after)
    assert len(change) == MAX_FIELDS + 1 and change["..."] == "and 5 more fields"
    assert all(len(v) <= MAX_VALUE for k, v in change.items() if k != "...")


def test_note_of_keeps_a_bodys_by_only_as_a_note():
    assert note_of("alice", "on it", "cognito:abc") == "(by: alice) on it"
    assert note_of("alice", "", "cognito:abc") == "(by: alice)"
    assert note_of(None, "on it", "cognito:abc") == "on it"
    assert note_of("cognito:abc", "on it", "cognito:abc") == "on it"
