"""The docs name only what exists: every file path, make target and API route that README.md and
docs/*.md mention is in this repository, its Makefile and the API (its OpenAPI paths, read from
the app, and the few routes it serves outside them); no link leaves the repository, no "§"
points into a document it does not hold, one stack name (samconfig.toml's); and a bare `make`
lists every target."""

from __future__ import annotations

import glob
import json
import re
import shutil
import subprocess
import tomllib
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SKIPPED_DIRS = {".git", ".venv", ".aws-sam", "node_modules", "__pycache__", "serverless_alerting.egg-info"}
EXTENSIONS = ("py", "md", "yaml", "yml", "json", "js", "css", "html", "png", "toml", "txt", "sh", "cfg")
# Served by the API outside its OpenAPI document (the dashboard's files, the document itself)
API_OFF_SCHEMA = {("GET", "/"), ("GET", "/openapi.json"), ("GET", "/ui/config.json"), ("GET", "/ui/{name}")}
METHODS = "GET|POST|PUT|DELETE|PATCH"


def text_of(doc: Path) -> str:
    return doc.read_text()


def code_spans(text: str) -> list[str]:
    """Inline code and fenced blocks with a language (bash, yaml): where docs name files,
    targets and commands. A block without one is a program's output or a drawing."""
    fenced = re.findall(r"```[a-z]+\n(.*?)```", text, re.S)
    prose = re.sub(r"```[^\n]*\n.*?```", "", text, flags=re.S)
    return fenced + re.findall(r"`([^`\n]+)`", prose)


# -- files ---------------------------------------------------------------------------------------


@cache
def repository_paths() -> tuple[str, ...]:
    """Every file and folder of the working tree, relative to it, folders ending in '/'."""
    found = []
    for path in ROOT.rglob("*"):
        parts = path.relative_to(ROOT).parts
        if SKIPPED_DIRS.intersection(parts) or any(p.startswith(".") and p != ".ci" for p in parts):
            continue
        found.append(path.relative_to(ROOT).as_posix() + ("/" if path.is_dir() else ""))
    return tuple(found)


def expand_braces(path: str) -> list[str]:
    """`functions/{api,live}/` → both."""
    match = re.search(r"\{([^{}]*,[^{}]*)\}", path)
    if match is None:
        return [path]
    return [p for option in match.group(1).split(",") for p in expand_braces(path.replace(match.group(0), option, 1))]


def looks_like_path(token: str) -> bool:
    if re.search(r"://|[$<>=@]|\{\{", token) or token.startswith(("/", "-", "~")):
        return False
    top = {p.split("/", 1)[0] for p in repository_paths() if "/" in p.rstrip("/")}
    return bool(re.fullmatch(r"[\w.*{},/-]+\.(" + "|".join(EXTENSIONS) + ")", token)) or (
        "/" in token and token.split("/", 1)[0] in top and re.fullmatch(r"[\w.*{},/-]+", token) is not None
    )


def path_exists(token: str, doc: Path) -> bool:
    """At the root, beside the doc, as a glob, or as the tail of a path in the repository
    (`alerting/expressions.py` for layers/common/alerting/expressions.py)."""
    for path in expand_braces(token.rstrip("/")):
        if (ROOT / path).exists() or (doc.parent / path).exists() or glob.glob(str(ROOT / path)):
            continue
        if not any(p.rstrip("/") == path or p.rstrip("/").endswith("/" + path) for p in repository_paths()):
            return False
    return True


def named_paths(doc: Path) -> set[str]:
    tokens = set()
    for span in code_spans(text_of(doc)):
        span = re.sub(r"\w+://\S+", " ", span)  # URLs name routes, not files
        for word in re.findall(r"[\w.*/-]*\{[^{}\s]*\}[\w.*/{},-]*|[\w.*/{}-]+", span):
            word = word.strip(".")
            if word and looks_like_path(word):
                tokens.add(word)
    return tokens


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_every_file_a_doc_names_exists(doc: Path):
    missing = sorted(token for token in named_paths(doc) if not path_exists(token, doc))

    assert missing == []


def link_targets(doc: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", text_of(doc), flags=re.S)
    return [t for t in re.findall(r"\]\(([^)\s]+)\)", text) if not re.match(r"[a-z]+:", t)]


def anchors(doc: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, repeats numbered."""
    seen: dict[str, int] = {}
    found = set()
    for heading in re.findall(r"^#+ (.+)$", re.sub(r"```.*?```", "", text_of(doc), flags=re.S), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
        seen[slug] = seen.get(slug, 0) + 1
    return found


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_every_link_stays_in_the_repository_and_finds_its_heading(doc: Path):
    broken = []
    for target in link_targets(doc):
        path, _, anchor = target.partition("#")
        resolved = (doc.parent / path).resolve() if path else doc
        outside = not resolved.is_relative_to(ROOT) or not resolved.exists()
        if outside or (anchor and resolved.suffix == ".md" and anchor not in anchors(resolved)):
            broken.append(target)

    assert broken == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_no_doc_points_outside_the_repository_or_into_sections_it_does_not_hold(doc: Path):
    text = text_of(doc)

    assert re.findall(r"\.\./[\w./-]+", text) == []
    assert re.findall(r"(?<!RFC \d{4} )§\s*[\d.]+", text) == []


# -- make targets --------------------------------------------------------------------------------


@cache
def make_targets() -> frozenset[str]:
    makefile = (ROOT / "Makefile").read_text()
    return frozenset(re.findall(r"^([A-Za-z0-9_-]+):(?!=)", makefile, re.M))


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_every_make_target_a_doc_names_exists(doc: Path):
    named = {
        target
        for span in code_spans(text_of(doc))
        for target in re.findall(r"(?:^|[\s;&|(])make ([a-z][\w-]*)\b(?!=)", span, re.M)
    }

    assert sorted(named - make_targets()) == []


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_a_bare_make_lists_every_target_with_a_line_of_its_own():
    listed = subprocess.run(["make", "--no-print-directory"], cwd=ROOT, capture_output=True, text=True, timeout=60)

    lines = re.findall(r"^  make (\S+) +(\S.*)$", listed.stdout, re.M)
    assert listed.returncode == 0
    phony = re.search(r"^\.PHONY: (.*)$", (ROOT / "Makefile").read_text(), re.M)
    assert phony is not None
    assert sorted(target for target, _ in lines) == sorted(phony.group(1).split())


# -- API routes ----------------------------------------------------------------------------------


@cache
def api_routes() -> frozenset[tuple[str, str]]:
    """(METHOD, /path/{param}) of the API's and the ingest API's OpenAPI documents, the routes
    the API serves outside its own and `make serve`'s own (the local inbox)."""
    from alerting_local.serve import LOCAL_ROUTES
    from api.handler import openapi_document
    from ingest.api import app as ingest_app

    paths = json.loads(openapi_document("docs-test"))["paths"] | ingest_app.document("docs-test")["paths"]
    documented = {(method.upper(), path) for path, operations in paths.items() for method in operations}
    return frozenset(documented | API_OFF_SCHEMA | {(method, path) for path, method in LOCAL_ROUTES.items()})


def route_matches(path: str, template: str) -> bool:
    wanted, have = path.strip("/").split("/"), template.strip("/").split("/")
    return len(wanted) == len(have) and all(h.startswith("{") or w == h for w, h in zip(wanted, have, strict=True))


def named_routes(text: str) -> set[tuple[str | None, str]]:
    """`POST /rules/{rule_id}/backtest`, and curl's and awscurl's URLs (method from -X)."""
    found: set[tuple[str | None, str]] = set()
    for method, path in re.findall(rf"\b({METHODS}) (/[^\s`'\"),]*)", text):
        if not re.search(r"[*@]", path):  # an IAM resource pattern (GET/**), not a route
            found.add((method, path))
    for line in text.splitlines():
        for path in re.findall(r"(?:http://127\.0\.0\.1:3000|\$API_URL)(/[^\s`'\"*]*)", line):
            method = re.search(rf"-X ({METHODS})\b", line)
            found.add((method.group(1) if method else None, path))
    return found


def normalise(path: str) -> str:
    path = path.split("?", 1)[0].split("#", 1)[0].rstrip(".:;")
    path = re.sub(r"<[^>]*>|\$\{?\w+\}?|\.\.\.", "{x}", path)
    return path or "/"


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_every_api_route_a_doc_names_exists(doc: Path):
    routes = api_routes()
    unknown = []
    for method, path in named_routes(text_of(doc)):
        route = normalise(path)
        if not any(route_matches(route, p) and method in (None, m) for m, p in routes):
            unknown.append(f"{method or 'GET'} {path}")

    assert sorted(unknown) == []


# -- the stack -----------------------------------------------------------------------------------


def test_one_stack_name_everywhere():
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    name = config["default"]["global"]["parameters"]["stack_name"]

    named = {n for doc in DOCS for n in re.findall(r"--stack-name[ =]([\w$-]+)", text_of(doc))}

    assert named <= {name}
