"""Handler cold start: each handler's import side by side with what any Python Lambda of its
kind pays anyway, in fresh interpreters (printed by `make bench`, within bench/evaluator.py's
figures; asserts nothing).
"""

from __future__ import annotations

import compileall
import subprocess
import sys
from pathlib import Path

# What any Python Lambda of this kind pays anyway: the floor a handler's cold start is held to.
# "imports": the dependencies imported, nothing used (pydantic and Powertools import lazily, so
# this leaves out what using them costs). "as used": the same, used as every handler must use
# them: a Logger, Metrics, a Tracer patching boto3 (it loads the X-Ray SDK), one pydantic model
# (pydantic's one-time setup), and the Powertools utility the handler is built on.
IMPORTS = "import boto3, pydantic, requests; from aws_lambda_powertools import Logger, Metrics, Tracer"
AS_USED = (
    "import boto3, requests; from pydantic import BaseModel; "
    "from aws_lambda_powertools import Logger, Metrics, Tracer; "
    "Logger(); Metrics(); Tracer(patch_modules=['boto3', 'botocore']); "
    "type('Settings', (BaseModel,), {'__annotations__': {'name': str}, 'name': 'x'})"
)
UTILITY = {
    "evaluator.handler": "",
    "notifier.handler": "; from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType; "
    "BatchProcessor(event_type=EventType.DynamoDBStreams)",
    "api.handler": "; from aws_lambda_powertools.event_handler import APIGatewayRestResolver; "
    "APIGatewayRestResolver(enable_validation=True)",
}
RUNS = 7
ROOT = Path(__file__).resolve().parents[1]


def import_time(statement: str) -> float:
    """Seconds a fresh interpreter takes to run ``statement`` (an import), median of RUNS."""
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    times = [
        float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)
        for _ in range(RUNS)
    ]
    return sorted(times)[RUNS // 2]


def main() -> None:
    print(f"\nhandlers: cold import side by side, fresh interpreters, median of {RUNS}")
    # Our modules as `make build` ships them, compiled (the dependencies' pip already compiled).
    compileall.compile_dir(str(ROOT / "layers" / "common"), quiet=1, workers=0)
    compileall.compile_dir(str(ROOT / "functions"), quiet=1, workers=0)
    imports = import_time(IMPORTS)
    print(f"  baseline, imports only (boto3, pydantic, requests, Powertools): {imports * 1000:.0f} ms")
    print(f"  {'handler':<20}{'import':>9}{'vs imports':>12}{'as used':>10}{'vs as used':>12}")
    for module, utility in UTILITY.items():
        took, floor = import_time(f"import {module}"), import_time(AS_USED + utility)
        print(f"  {module:<20}{took * 1000:>7.0f}ms{took / imports:>12.2f}{floor * 1000:>8.0f}ms{took / floor:>12.2f}")


if __name__ == "__main__":
    main()
