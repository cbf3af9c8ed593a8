"""The dashboard's Content-Security-Policy: the page may open this deployment's live stream and
no other WebSocket; its favicon is a file of its own, served under the same policy."""

from __future__ import annotations

import pytest

from alerting.settings import ApiSettings
from api.routes.dashboard import index, security_headers, ui_file

REQUIRED = {
    "CONFIG_TABLE": "c",
    "ALERTS_TABLE": "a",
    "ALERT_LOG_TABLE": "l",
    "STATE_TABLE": "s",
    "ALERTS_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:t",
    "SECRETS_PREFIX": "/s/channels",
    "NOTIFIER_DLQ_URL": "https://sqs/dlq",
    "AWS_REGION": "eu-west-1",
}
COGNITO = "https://cognito-idp.eu-west-1.amazonaws.com https://cognito-identity.eu-west-1.amazonaws.com"


def connect_src(live_url: str) -> str:
    settings = ApiSettings.from_env({**REQUIRED, "LIVE_URL": live_url})
    policy = security_headers(settings)["Content-Security-Policy"]
    (directive,) = [d.strip() for d in policy.split(";") if d.strip().startswith("connect-src")]
    return directive


@pytest.mark.parametrize(
    ("live_url", "expected"),
    [
        (
            "wss://abc123.execute-api.eu-west-1.amazonaws.com/live",
            f"connect-src 'self' wss://abc123.execute-api.eu-west-1.amazonaws.com {COGNITO}",
        ),
        ("ws://127.0.0.1:3001/live", f"connect-src 'self' ws://127.0.0.1:3001 {COGNITO}"),
        ("", f"connect-src 'self' {COGNITO}"),  # no stage: the page's own host, which 'self' covers
    ],
    ids=["deployed", "local-hub", "none"],
)
def test_security_headers_connect_src_names_only_the_deployments_live_endpoint(live_url: str, expected: str):
    assert connect_src(live_url) == expected


def test_the_page_names_its_favicon_and_the_dashboard_serves_it_under_the_csp(monkeypatch: pytest.MonkeyPatch):
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    icon = ui_file("favicon.svg")

    assert '<link rel="icon" href="ui/favicon.svg" type="image/svg+xml">' in str(index().body)
    assert (icon.status_code, icon.content_type) == (200, "image/svg+xml")
    assert str(icon.body).startswith("<svg") and "<script" not in str(icon.body)
    assert "default-src 'self'" in (icon.headers or {})["Content-Security-Policy"]
