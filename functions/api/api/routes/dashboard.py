"""The dashboard: a static page and its files, and the configuration the page starts from.

Served without IAM (API Gateway's ``Auth: NONE`` on ``/`` and ``/ui/{file}``): they hold no
data. Every call the page makes is SigV4-signed with the signed-in user's credentials.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from aws_lambda_powertools.event_handler import Response

from alerting.errors import NotFound
from alerting.settings import ApiSettings
from api.routes import new_router

router = new_router()
FILES = Path(__file__).resolve().parents[1] / "dashboard"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css"}
# The page loads only itself; it talks to this API, the live stream and (on AWS) Cognito.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self' ws: wss: https://cognito-idp.*.amazonaws.com https://cognito-identity.*.amazonaws.com; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@cache
def _file(name: str) -> tuple[str, str] | None:
    """(content type, text) of a dashboard file; only the files that are there, by exact name."""
    path = FILES / name
    if name not in {p.name for p in FILES.iterdir()} or path.suffix not in TYPES:
        return None
    return TYPES[path.suffix], path.read_text()


def _serve(name: str) -> Response[str]:
    found = _file(name)
    if found is None:
        raise NotFound("file", name)
    content_type, body = found
    return Response(status_code=200, content_type=content_type, body=body, headers=SECURITY_HEADERS)


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
    return Response(status_code=200, content_type="application/json", body=body, headers=SECURITY_HEADERS)


@router.get("/ui/<name>", include_in_schema=False)
def ui_file(name: str) -> Response[str]:
    return _serve(name)
