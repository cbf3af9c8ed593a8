"""Our routes as Alertmanager's configuration: receivers' names, `config.original` (the tree as
Alertmanager YAML) and `GET /status`.

Each route with a receiver of its own is a receiver named after it: a top-level route by its
`name` (with its id where two share a name), a nested one by the path below it
(`payments/0/1`); a route without one uses its parent's. The implicit root is `stack-topic`
(the stack's SNS topic, which hears every alert). Mute and active windows are not written into
the YAML: Alertmanager's time intervals have another shape.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alerting.models.routes import Route, StoredRoute
from alerting.routing import route
from alerting.sources.prometheus.matchers import written
from alerting.sources.prometheus.shapes import (
    AlertmanagerConfig,
    AlertmanagerStatus,
    ClusterStatus,
    Receiver,
    VersionInfo,
    rfc3339,
)

ROOT = "stack-topic"
API_VERSION = "0.25.0"  # the Alertmanager whose API this speaks (amtool warns on another minor version)
BRANCH = "serverless-alerting"


@dataclass(frozen=True)
class Tree:
    """The top-level routes in the order they are walked, and each route's receiver's name by
    its path (what `alerting.routing` reports for a match)."""

    routes: list[StoredRoute]
    names: dict[tuple[str, ...], str]

    @classmethod
    def of(cls, routes: Sequence[StoredRoute]) -> Tree:
        ordered = sorted(routes, key=lambda r: (r.position, r.route_id))
        shared = Counter(r.name for r in ordered)
        names: dict[tuple[str, ...], str] = {}
        for top in ordered:
            label = top.name if shared[top.name] == 1 else f"{top.name} ({top.route_id})"
            _name(top, (top.route_id,), label, label if top.receiver else ROOT, names)
        return cls(ordered, names)

    def receivers(self, labels: dict[str, str]) -> list[str]:
        """The receivers an alert with ``labels`` reaches (the root's when no route matches)."""
        found = [self.names[m.path] for m in route(self.routes, labels).matches]
        return list(dict.fromkeys(found)) or [ROOT]

    def every_receiver(self) -> list[Receiver]:
        return [Receiver(name=name) for name in dict.fromkeys([ROOT, *self.names.values()])]


def _name(node: Route, path: tuple[str, ...], label: str, inherited: str, names: dict[tuple[str, ...], str]) -> None:
    names[path] = inherited
    for index, child in enumerate(node.routes):
        child_label = f"{label}/{index}"
        _name(child, (*path, str(index)), child_label, child_label if child.receiver else inherited, names)


# -- config.original -------------------------------------------------------------------------------


def original(tree: Tree) -> str:
    """The tree as Alertmanager's configuration file: `route` and `receivers` (names only: our
    receivers' channels and policies are not Alertmanager integrations)."""
    document = {
        "route": {"receiver": ROOT, "routes": [_route(r, (r.route_id,), tree) for r in tree.routes]},
        "receivers": [{"name": r.name} for r in tree.every_receiver()],
    }
    return "\n".join(_yaml(document, 0)) + "\n"


def _route(node: Route, path: tuple[str, ...], tree: Tree) -> dict[str, Any]:
    written_route: dict[str, Any] = {"receiver": tree.names[path]}
    if node.matchers:
        written_route["matchers"] = [written(m) for m in node.matchers]
    if node.continue_:
        written_route["continue"] = True
    if node.routes:
        written_route["routes"] = [_route(c, (*path, str(i)), tree) for i, c in enumerate(node.routes)]
    return written_route


def _yaml(value: Any, indent: int) -> list[str]:
    """Block YAML of maps, lists, strings and booleans; strings double-quoted (JSON's escapes are YAML's)."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for name, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines += [f"{pad}{name}:", *_yaml(item, indent + 2)]
            else:
                lines.append(f"{pad}{name}: {_scalar(item)}")
        return lines
    for item in value:
        if isinstance(item, dict) and item:
            first, *rest = _yaml(item, indent + 2)
            lines += [f"{pad}- {first.lstrip()}", *rest]
        else:
            lines.append(f"{pad}- {_scalar(item)}")
    return lines


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "{}" if isinstance(value, dict) else "[]"
    return json.dumps(value, ensure_ascii=False)


# -- status --------------------------------------------------------------------------------------


def status(tree: Tree, version: str, started: datetime) -> AlertmanagerStatus:
    """`GET /status`: no cluster (`disabled`), the API's Alertmanager version (ours as its
    revision), the tree as YAML, and when this instance started (`uptime`)."""
    return AlertmanagerStatus(
        cluster=ClusterStatus(status="disabled", peers=[]),
        versionInfo=VersionInfo(
            version=API_VERSION, revision=version, branch=BRANCH, buildUser="", buildDate="", goVersion=""
        ),
        config=AlertmanagerConfig(original=original(tree)),
        uptime=rfc3339(started),
    )
