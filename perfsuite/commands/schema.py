"""`run_suite.py schema [--results] [--write]`: the JSON Schemas of the scenario
format (scenarios/schema.json, for editors) and of results.json
(scenarios/results.schema.json), both generated from their models."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from perfsuite import ROOT
from perfsuite.conduct.common import EXIT_INVALID, EXIT_OK, error
from perfsuite.io.files import write_files
from perfsuite.plan.schema import json_schema as scenario_schema
from perfsuite.record.results import json_schema as results_schema

SCHEMA_PATH = ROOT / "scenarios" / "schema.json"
RESULTS_SCHEMA_PATH = ROOT / "scenarios" / "results.schema.json"
SCHEMAS: dict[Path, Callable[[], dict[str, Any]]] = {SCHEMA_PATH: scenario_schema, RESULTS_SCHEMA_PATH: results_schema}


def text(path: Path) -> str:
    """The schema shipped at `path`, as it is generated now."""
    return json.dumps(SCHEMAS[path](), indent=2) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="run_suite.py schema", description="Print or write the JSON Schemas.")
    parser.add_argument("--results", action="store_true", help="results.json's schema instead of the scenario file's")
    parser.add_argument(
        "--write", action="store_true", help="write both into scenarios/ (schema.json, results.schema.json)"
    )
    args = parser.parse_args(argv)
    if not args.write:
        sys.stdout.write(text(RESULTS_SCHEMA_PATH if args.results else SCHEMA_PATH))
        return EXIT_OK
    try:
        write_files({path: text(path) for path in SCHEMAS})
    except OSError as failure:
        error(str(failure))
        return EXIT_INVALID
    return EXIT_OK
