"""`run_suite.py report DIR`: rebuild report.md and report.html from a results folder alone.

The folder is locked while it is rebuilt (a suite or another rebuild there is
refused, naming its pid); the two reports are written whole or not at all,
so a rebuild that fails keeps the last good pair byte for byte. Nothing is
started: every failure is exit 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from perfsuite.conduct.common import EXIT_INVALID, EXIT_OK, claim_out_dir, error
from perfsuite.io.files import WriteFailed
from perfsuite.record.results import SchemaVersionError, read_results
from perfsuite.report.files import REPORT_HTML, REPORT_MD, write_reports


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="run_suite.py report", description="Rebuild the reports of a results folder.")
    parser.add_argument("dir")
    args = parser.parse_args(argv)
    out_dir = Path(args.dir)
    # A signal ends it where it is (perfsuite.cli): nothing to tear down, and the two reports are renamed
    # into place together or not at all.
    claimed = claim_out_dir(out_dir, existing=True, holder="a report rebuild")
    if isinstance(claimed, str):
        error(claimed)
        return EXIT_INVALID
    with claimed:
        try:
            results = read_results(out_dir)
        except (OSError, ValueError, SchemaVersionError) as failure:
            error(str(failure))
            return EXIT_INVALID
        try:
            write_reports(out_dir, results)
        except WriteFailed as failure:
            error(f"{failure}; the reports there before are as they were")
            return EXIT_INVALID
    print(f"report: {out_dir / REPORT_HTML} and {REPORT_MD}", file=sys.stderr)
    return EXIT_OK
