"""`run_suite.py docs [--write]`: the reference pages of docs/ generated from
the models (docs/scenario-reference.md, docs/results-reference.md); without
--write, the first is printed."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from perfsuite import ROOT
from perfsuite.conduct.common import EXIT_INVALID, EXIT_OK, error
from perfsuite.io.files import write_files
from perfsuite.report.reference import results_reference, scenario_reference

PAGES: dict[Path, Callable[[], str]] = {
    ROOT / "docs" / "scenario-reference.md": scenario_reference,
    ROOT / "docs" / "results-reference.md": results_reference,
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="run_suite.py docs", description="Generate docs/'s reference pages.")
    parser.add_argument("--write", action="store_true", help="write them into docs/")
    args = parser.parse_args(argv)
    if not args.write:
        sys.stdout.write(scenario_reference())
        return EXIT_OK
    try:
        write_files({path: render() for path, render in PAGES.items()})
    except OSError as failure:
        error(str(failure))
        return EXIT_INVALID
    return EXIT_OK
