"""The local inbox lists the links an e-mail or an SMS carries (its acknowledge link among them),
unescaped and each once, so the dashboard can make them clickable; a post to a URL lists none."""

from __future__ import annotations

from datetime import UTC, datetime

from alerting_local.inbox import Entry, links_in

ACK = "http://127.0.0.1:3000/ingest/ack?t=0123456789abcdefghij_-"
AT = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def test_an_emails_links_are_its_hrefs_unescaped_each_once_in_order() -> None:
    body = (
        '<p><a href="https://runbooks.example.com/cpu?a=1&amp;b=2">Runbook</a></p>'
        f'<p><a href="{ACK}" style="x">Acknowledge</a></p><a href="{ACK}">again</a>'
        '<a href="javascript:alert(1)">no</a>'
    )

    assert links_in(body) == ["https://runbooks.example.com/cpu?a=1&b=2", ACK]


def test_an_sms_link_ends_where_the_text_does() -> None:
    assert links_in(f"FIRING HIGH High CPU: CPU at 97% Ack: {ACK}") == [ACK]


def test_the_inbox_lists_links_of_e_mail_and_sms_only() -> None:
    email = Entry("aws-0", "email", "ops-email", "o@example.com", AT, "subject", f'<a href="{ACK}">Acknowledge</a>')
    slack = Entry("http-0", "slack", "ops", "http://127.0.0.1:1/services/***", AT, "t", f'{{"text": "<{ACK}|Ack>"}}')

    assert email.view()["links"] == [ACK]
    assert slack.view()["links"] == []
