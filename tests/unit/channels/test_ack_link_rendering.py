"""E-mail and SMS carry a message's acknowledge link: the e-mail as a button under the summary
(and a line of its text body), the SMS at its end in place of the alert id, within 140
characters however long the text; without a link, both read as before. A grouped e-mail shows
each listed alert's link."""

from __future__ import annotations

import dataclasses
from typing import Any

from alerting.channels.base import GroupMessage
from alerting.channels.email import EmailSender, html_body, text_body
from alerting.channels.render import MAX_GROUP_LINES
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


def test_a_grouped_email_shows_each_listed_alerts_link_and_none_on_the_rest() -> None:
    alerts = tuple(make_alert().model_copy(update={"alert_id": f"a-{i}"}) for i in range(MAX_GROUP_LINES + 3))
    urls = {f"a-{i}": f"{URL}{i}" for i in (0, 2)}  # a-1 is acknowledged, say: no link
    ses = Captured()

    EmailSender(ses, sender="alerts@example.com", to=["o@example.com"]).send_group(
        GroupMessage(alerts, "ops:k:1", {"rule_id": "high-cpu"}, ack_urls=urls)
    )

    text, page = ses.text, ses.page
    assert text.count("  Acknowledge: ") == 2 and f"  Acknowledge: {URL}0\n" in text
    assert page.count(">Acknowledge</a>") == 2 and f'<a href="{URL}2">Acknowledge</a></li>' in page
    assert "<li>and 3 more</li>" in page


class Captured:
    """An SES client that keeps the one mail it is asked to send."""

    text = page = ""

    def send_email(self, **mail: Any) -> dict[str, str]:
        self.text = mail["Message"]["Body"]["Text"]["Data"]
        self.page = mail["Message"]["Body"]["Html"]["Data"]
        return {"MessageId": "m-1"}
