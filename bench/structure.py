"""The structure check (`make structure`, run by `make check`): prints the figures and fails past a limit.

- no import circle among our modules, and no import running up a layer (LAYERS below);
- `duplicates` pairs outside tests at most MAX_DUPLICATE_PAIRS (when the tool is on PATH);
- no non-test module over MAX_MODULE_LINES lines outside local/;
- no function in functions/ or layers/ over MAX_FUNCTION_LINES lines;
- boto3 and botocore imported only by adapters (ADAPTERS below).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = {  # import root -> folder holding its packages
    "layers/common": ROOT / "layers/common",
    "functions/api": ROOT / "functions/api",
    "functions/evaluator": ROOT / "functions/evaluator",
    "functions/notifier": ROOT / "functions/notifier",
    "functions/live": ROOT / "functions/live",
    "functions/seeder": ROOT / "functions/seeder",
    "functions/ingest": ROOT / "functions/ingest",
    "local": ROOT / "local",
    "bench": ROOT,
}
MAX_DUPLICATE_PAIRS = 8
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60

# Lowest first: a module may import its own layer and the layers below, never one above. Adapters sit above
# the domain (they translate its models to AWS and HTTP); the domain never reaches down to an adapter.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "models",
        (
            "alerting.models",
            "alerting.errors",
            "alerting.json_limits",
            "alerting.validation",
            "alerting.expressions",
            "alerting.payload",
            "alerting.defaults",
        ),
    ),
    ("domain", ("alerting",)),
    ("adapters", ("alerting.repositories", "alerting.channels")),
    (
        "application",
        (
            "alerting.wiring",
            "alerting.cli",
            "alerting.backtest_cli",
            "alerting.rules_as_code",
            "alerting.rules_plan",
            "alerting.references",
            "alerting.rule_tests.runner",  # runs rules over recorded data through the CloudWatch adapter
        ),
    ),
    ("functions", ("api", "evaluator", "notifier", "live", "seeder", "ingest")),
    ("tools", ("alerting_local", "bench")),
)
# The only modules that may import boto3 or botocore: the adapters (DynamoDB, CloudWatch, SQS, SSM in
# repositories/; SNS, SES, HTTP in channels/). Tools (the local stack, benchmarks) build moto's resources.
ADAPTERS = ("alerting.repositories", "alerting.channels")
AWS_SDK = ("boto3", "botocore")


@dataclass
class Module:
    name: str
    path: Path
    tree: ast.Module
    lines: int
    imports: set[str] = field(default_factory=set)


def _is_within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def layer_of(name: str) -> int:
    matches = [
        (len(prefix), index)
        for index, (_, prefixes) in enumerate(LAYERS)
        for prefix in prefixes
        if _is_within(name, (prefix,))
    ]
    if matches:
        return max(matches)[1]  # the longest prefix decides: alerting.models is not the domain
    raise ValueError(f"{name} is in no layer: add it to LAYERS in bench/structure.py")


def modules() -> dict[str, Module]:
    found: dict[str, Module] = {}
    for root, folder in SOURCES.items():
        packages = (
            [folder / "bench"] if root == "bench" else [p for p in folder.iterdir() if (p / "__init__.py").exists()]
        )
        for package in packages:
            for path in sorted(package.rglob("*.py")):
                parts = path.relative_to(folder).with_suffix("").parts
                name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
                text = path.read_text()
                found[name] = Module(name, path, ast.parse(text), text.count("\n"))
    for module in found.values():
        module.imports = set(_imports(module, found))
    return found


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node except those under `if TYPE_CHECKING:` (annotations cannot make a circle at run time)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def _imports(module: Module, known: dict[str, Module]) -> Iterator[str]:
    package = module.name if module.path.name == "__init__.py" else module.name.rpartition(".")[0]
    for node in _runtime_nodes(module.tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known and not target.startswith(AWS_SDK):
                target = target.rpartition(".")[0]
            if target and target != module.name:
                yield target


def circles(found: dict[str, Module]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        on_stack.add(name)
        for target in sorted(found[name].imports & found.keys()):
            if target not in index:
                visit(target)
                low[name] = min(low[name], low[target])
            elif target in on_stack:
                low[name] = min(low[name], index[target])
        if low[name] == index[name]:
            component = []
            while (member := stack.pop()) != name:
                on_stack.discard(member)
                component.append(member)
            on_stack.discard(name)
            if component:
                result.append(sorted([name, *component]))

    sys.setrecursionlimit(10_000)
    for name in sorted(found):
        if name not in index:
            visit(name)
    return result


def imports_up(found: dict[str, Module]) -> list[str]:
    return [
        f"{module.name} ({LAYERS[layer_of(module.name)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
        for module in found.values()
        for target in sorted(module.imports & found.keys())
        if layer_of(target) > layer_of(module.name)
    ]


def sdk_users(found: dict[str, Module]) -> list[str]:
    return sorted(
        module.name
        for module in found.values()
        if any(target.startswith(AWS_SDK) for target in module.imports)
        and not _is_within(module.name, ADAPTERS)
        and LAYERS[layer_of(module.name)][0] != "tools"
    )


def long_modules(found: dict[str, Module]) -> list[tuple[str, int]]:
    return sorted(
        (
            (m.name, m.lines)
            for m in found.values()
            if m.lines > MAX_MODULE_LINES and not m.name.startswith("alerting_local")
        ),
        key=lambda item: -item[1],
    )


def long_functions(found: dict[str, Module]) -> list[tuple[str, int]]:
    result = []
    for module in found.values():
        if not str(module.path.relative_to(ROOT)).startswith(("functions/", "layers/")):
            continue
        for node in ast.walk(module.tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                length = (node.end_lineno or node.lineno) - start + 1
                if length > MAX_FUNCTION_LINES:
                    result.append((f"{module.name}.{node.name}", length))
    return sorted(result, key=lambda item: -item[1])


def duplicate_pairs() -> tuple[int | None, list[str]]:
    """Pairs outside tests/, from the `duplicates` tool; (None, []) where it is not installed."""
    if shutil.which("duplicates") is None:
        return None, []
    listing = subprocess.run(
        ["duplicates", "--most", "200", "--seconds", "60", "--repo", str(ROOT)], capture_output=True, text=True
    ).stdout
    rows = [line for line in listing.splitlines() if line.startswith("D") and " ~ " in line]
    outside = [row for row in rows if not all(side.split()[-1].startswith("tests/") for side in _sides(row))]
    return len(outside), outside


def _sides(row: str) -> list[str]:
    left, right = row.split(" ~ ", 1)
    return [left.split()[-1], right.split()[0]]


def main() -> int:
    found = modules()
    failures = 0

    def report(title: str, items: list[str], limit: int = 0) -> None:
        nonlocal failures
        over = len(items) > limit
        failures += over
        print(f"{'FAIL' if over else 'ok  '} {title}: {len(items)} (limit {limit})")
        for item in items:
            print(f"       {item}")

    print(f"structure: {len(found)} modules, {sum(m.lines for m in found.values())} lines")
    report("import circles", [" <-> ".join(c) for c in circles(found)])
    report("imports up a layer", imports_up(found))
    report("boto3/botocore outside adapters", sdk_users(found))
    report(f"modules over {MAX_MODULE_LINES} lines (outside local/)", [f"{n} {c}" for n, c in long_modules(found)])
    report(
        f"functions over {MAX_FUNCTION_LINES} lines (functions/, layers/)",
        [f"{n} {c}" for n, c in long_functions(found)],
    )
    count, rows = duplicate_pairs()
    if count is None:
        print("skip duplicate pairs: the `duplicates` tool is not on PATH")
    else:
        report("duplicate pairs outside tests", rows, MAX_DUPLICATE_PAIRS)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
