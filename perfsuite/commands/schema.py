"""`run_suite.py schema [--write]`: the scenario format's JSON Schema."""

from __future__ import annotations

import argparse
import json
import sys

from perfsuite import ROOT
from perfsuite.conduct.common import EXIT_INVALID, EXIT_OK, error
from perfsuite.io.files import write_file
from perfsuite.plan.schema import json_schema

SCHEMA_PATH = ROOT / "scenarios" / "schema.json"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="run_suite.py schema", description="Print the scenario JSON Schema.")
    parser.add_argument("--write", action="store_true", help=f"write it to {SCHEMA_PATH.name} in scenarios/")
    args = parser.parse_args(argv)
    text = json.dumps(json_schema(), indent=2) + "\n"
    if args.write:
        try:
            write_file(SCHEMA_PATH, text)
        except OSError as failure:
            error(str(failure))
            return EXIT_INVALID
    else:
        sys.stdout.write(text)
    return EXIT_OK
