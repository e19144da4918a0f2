"""`run_suite.py validate FILE`: check a scenario file; start nothing."""

from __future__ import annotations

import argparse

from perfsuite.commands.common import EXIT_INVALID, EXIT_OK, load
from perfsuite.spec.plan import build_plan


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="run_suite.py validate", description="Validate a scenario file only.")
    parser.add_argument("file")
    args = parser.parse_args(argv)
    suite = load(args.file)
    if suite is None:
        return EXIT_INVALID
    print(f"{args.file}: valid; {len(build_plan(suite))} runs")
    return EXIT_OK
