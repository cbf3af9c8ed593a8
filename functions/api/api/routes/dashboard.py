"""The dashboard: a static page and its files, and the configuration the page starts from.

Served without IAM (API Gateway's ``Auth: NONE`` on ``/`` and ``/ui/{file}``): they hold no
data. Every call the page makes is SigV4-signed with the signed-in user's credentials.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from aws_lambda_powertools.event_handler import Response

from alerting.errors import NotFound
from alerting.settings import ApiSettings
from api.routes import new_router

router = new_router()
FILES = Path(__file__).resolve().parents[1] / "dashboard"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css",
    ".svg": "image/svg+xml",  # the favicon
}


def security_headers(settings: ApiSettings) -> dict[str, str]:
    """The page loads only itself; it talks to this API, this deployment's live stream and the
    region's Cognito (a CSP host wildcard may only be the leftmost label, so the region is
    spelled out; any other WebSocket, `ws:` or `wss:` alone, stays closed)."""
    region = settings.region
    cognito = f"https://cognito-idp.{region}.amazonaws.com https://cognito-identity.{region}.amazonaws.com"
    connect = " ".join(filter(None, ("'self'", _origin(settings.live_url), cognito)))
    return {
        "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        f"connect-src {connect}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


def _origin(url: str) -> str:
    """wss://abc.execute-api.eu-west-1.amazonaws.com of the stage's URL ('' for none: the page
    then connects to its own host, which 'self' covers)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("ws", "wss") and parts.netloc else ""


@cache
def _files() -> dict[str, tuple[str, str]]:
    """name → (content type, text) of every dashboard file, read once per container."""
    return {p.name: (TYPES[p.suffix], p.read_text()) for p in FILES.iterdir() if p.suffix in TYPES}


def _serve(name: str) -> Response[str]:
    found = _files().get(name)
    if found is None:
        raise NotFound("file", name)
    content_type, body = found
    headers = security_headers(ApiSettings.from_env())
    return Response(status_code=200, content_type=content_type, body=body, headers=headers)


@router.get("/", include_in_schema=False)
def index() -> Response[str]:
    return _serve("index.html")


@router.get("/ui/config.json", include_in_schema=False)
def config() -> Response[str]:
    settings = ApiSettings.from_env()
    sign_in = None
    if settings.dashboard_user_pool_id:
        sign_in = {
            "region": settings.region,
            "user_pool_id": settings.dashboard_user_pool_id,
            "client_id": settings.dashboard_client_id,
            "identity_pool_id": settings.dashboard_identity_pool_id,
        }
    body = json.dumps({"live_url": settings.live_url, "sign_in": sign_in, "version": settings.version})
    headers = security_headers(settings)
    return Response(status_code=200, content_type="application/json", body=body, headers=headers)


@router.get("/ui/<name>", include_in_schema=False)
def ui_file(name: str) -> Response[str]:
    return _serve(name)
