"""`run_suite.py validate FILE`: check a scenario file; start nothing."""

from __future__ import annotations

import argparse

from perfsuite.conduct.common import EXIT_INVALID, EXIT_OK, load
from perfsuite.plan.runs import build_plan, build_searches


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="run_suite.py validate", description="Validate a scenario file only.")
    parser.add_argument("file")
    args = parser.parse_args(argv)
    suite = load(args.file)
    if suite is None:
        return EXIT_INVALID
    searches = build_searches(suite)
    also = f" and {len(searches)} capacity searches" if searches else ""
    print(f"{args.file}: valid; {len(build_plan(suite))} runs{also}")
    return EXIT_OK
