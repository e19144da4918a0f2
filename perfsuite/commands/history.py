"""`run_suite.py history`: trends over the suites stored in the history file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from perfsuite.conduct.common import EXIT_FAILED, EXIT_INVALID, EXIT_OK, error
from perfsuite.record import history
from perfsuite.report.trend import render_text


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="run_suite.py history", description="Trends over stored suites.")
    parser.add_argument("--db", default=str(history.DEFAULT_DB), help=f"history file (default {history.DEFAULT_DB})")
    parser.add_argument("--suite", help="only suites of this name")
    parser.add_argument("--scenario")
    parser.add_argument("--server")
    parser.add_argument("--metric", choices=history.METRICS, action="append", help="default: rps and p95_ms")
    parser.add_argument("--last", type=int, default=30, help="this many most recent suites (default 30)")
    args = parser.parse_args(argv)
    try:
        rows = history.trend(Path(args.db), args.suite, args.scenario, args.server, args.last)
    except history.HistoryError as failure:
        error(str(failure))
        return EXIT_INVALID
    if not rows:
        print(f"no history in {args.db} for that selection", file=sys.stderr)
        return EXIT_FAILED
    for metric in args.metric or ["rps", "p95_ms"]:
        print(render_text(rows, metric))
        print()
    return EXIT_OK
