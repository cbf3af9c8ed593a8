"""The ingest API's protocols, one module each with its own Powertools `Router`; `ingest.api`
adds each to `PROTOCOLS` in one line, with the prefix its paths share and its door.

A route's paths are written below its prefix (`@router.get("/<key>")` in the `/ping` protocol
serves `/ping/<key>`); who came in is `ingest.gate.admitted()`, what it talks to
`ingest.dependencies.services()`.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router


def new_router() -> Router:
    return Router()  # type: ignore[no-untyped-call]  # Powertools leaves __init__ unannotated
