"""E-mail and SMS carry a message's acknowledge link: the e-mail as a button under the summary
(and a line of its text body), the SMS at its end in place of the alert id, within 140
characters however long the text; without a link, both read as before."""

from __future__ import annotations

import dataclasses

from alerting.channels.email import html_body, text_body
from alerting.channels.sms import MAX_LENGTH, sms_text
from tests.unit.channels.builders import EVIL, alert_rule, make_alert, make_message

URL = "https://abcdefghij.execute-api.us-east-1.amazonaws.com/v1/ack?t=0123456789abcdefghij_-"


def test_email_shows_the_link_as_a_button_and_a_line_of_text() -> None:
    message = dataclasses.replace(make_message(), ack_url=URL)

    page, text = html_body(message, "CPU at 91.2%"), text_body(message, "CPU at 91.2%")

    assert f'<a href="{URL}" style="' in page and ">Acknowledge</a>" in page
    assert page.index("CPU at 91.2%") < page.index(">Acknowledge</a>") < page.index("<table>")
    assert f"Acknowledge (opens a page to confirm; works for 24 hours while the alert fires): {URL}\n" in text


def test_email_without_a_link_has_no_button() -> None:
    page, text = html_body(make_message(), "CPU"), text_body(make_message(), "CPU")

    assert "Acknowledge" not in page and "Acknowledge" not in text


def test_email_escapes_the_link_as_an_attribute() -> None:
    message = dataclasses.replace(make_message(), ack_url='https://x.example/ack?t=a"><script>')

    assert 'href="https://x.example/ack?t=a&quot;&gt;&lt;script&gt;"' in html_body(message, "s")


def test_sms_ends_with_its_link_instead_of_the_alert_id() -> None:
    text = sms_text(dataclasses.replace(make_message(), ack_url=URL))

    assert text.endswith(f" Ack: {URL}") and "#alert-1" not in text
    assert text.startswith("FIRING HIGH High CPU Usage: ")
    assert sms_text(make_message()).endswith(" #alert-1")


def test_sms_cuts_a_long_text_to_keep_the_whole_link_within_one_message() -> None:
    long = make_alert(alert_rule(name=EVIL * 3))

    text = sms_text(dataclasses.replace(make_message(long), ack_url=URL))

    assert len(text) <= MAX_LENGTH and text.endswith(f"... Ack: {URL}")
