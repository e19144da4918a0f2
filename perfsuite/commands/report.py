"""`run_suite.py report DIR`: rebuild report.md and report.html from a results folder alone."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from perfsuite.commands.common import EXIT_INVALID, EXIT_OK, error
from perfsuite.record.results import SchemaVersionError, read_results
from perfsuite.report.files import REPORT_HTML, REPORT_MD, write_reports


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="run_suite.py report", description="Rebuild the reports of a results folder.")
    parser.add_argument("dir")
    args = parser.parse_args(argv)
    out_dir = Path(args.dir)
    try:
        results = read_results(out_dir)
    except (OSError, ValueError, SchemaVersionError) as failure:
        error(str(failure))
        return EXIT_INVALID
    write_reports(out_dir, results)
    print(f"report: {out_dir / REPORT_HTML} and {REPORT_MD}", file=sys.stderr)
    return EXIT_OK
