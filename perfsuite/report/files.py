"""Writing a folder's reports: report.md and report.html from results.json,
checks.json, trend.json and the runs' files alone (so `report DIR` rebuilds
them byte for byte)."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

from perfsuite.io.files import WriteFailed, write_files
from perfsuite.judge.aggregate import Aggregate
from perfsuite.judge.verdict import VerdictError
from perfsuite.judge.verdict import read as read_verdict
from perfsuite.record import history
from perfsuite.record.results import SuiteResults
from perfsuite.record.timeseries import load_series
from perfsuite.report.markdown import render_view
from perfsuite.report.view import build_view

REPORT_MD = "report.md"
REPORT_HTML = "report.html"


STEP_SUMMARY_BYTES = 1_000_000  # GitHub refuses a job summary over 1 MiB


def step_summary(markdown: str, html: Path, limit: int = STEP_SUMMARY_BYTES) -> str:
    """report.md for a CI job summary: whole if it fits, else cut at a line with a pointer to report.html."""
    data = markdown.encode("utf-8")
    if len(data) <= limit:
        return markdown
    note = f"\n\n**Cut here**: report.md is {len(data):,} bytes, over the job summary's limit; see {html}.\n"
    head = data[: limit - len(note.encode("utf-8")) - 4].decode("utf-8", errors="ignore")
    return head[: head.rfind("\n") + 1] + note


class ReportFailed(Exception):
    pass


def write_reports(out_dir: Path, results: SuiteResults, aggregates: list[Aggregate] | None = None) -> None:
    """One view (aggregates computed once, or given), rendered twice."""
    from perfsuite.report import html  # matplotlib loads only when a report is drawn

    problems: list[str] = []
    try:
        verdict = read_verdict(out_dir)
    except VerdictError as error:
        verdict, problems = None, [f"{error}; the verdict is left out"]
    try:
        trend = history.read_snapshot(out_dir)
    except history.HistoryError as error:
        trend, problems = [], [*problems, f"{error}; the trend is left out"]
    series, malformed = load_series(out_dir, results)
    problems += [f"{problem}; its charts over time are left out" for problem in malformed]
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    view = build_view(results, verdict, trend, aggregates)
    markdown, page = render_view(view), html.render(results, series, verdict, trend, view)
    # Both whole or neither: a rebuild that fails keeps the last good pair (WriteFailed names the file).
    write_files({out_dir / REPORT_MD: markdown, out_dir / REPORT_HTML: page})


def write_reports_safely(out_dir: Path, results: SuiteResults, aggregates: list[Aggregate] | None = None) -> None:
    """At the end of a suite a broken renderer must not lose anything:
    results.json is already written; say what failed and go on."""
    try:
        write_reports(out_dir, results, aggregates)
    except Exception as error:
        detail = str(error) if isinstance(error, WriteFailed) else "".join(traceback.format_exception_only(error))
        detail = detail.strip()
        print(
            f"error: writing the reports failed ({detail}); results.json is intact; "
            f"retry with: python run_suite.py report {out_dir}",
            file=sys.stderr,
        )
        raise ReportFailed(detail) from error
