"""The report's view model (pure): every table composed once, the same for Markdown and HTML."""

from __future__ import annotations

from pathlib import Path

from perfsuite.judge.verdict import read
from perfsuite.record.results import read_results
from perfsuite.report.markdown import table
from perfsuite.report.view import build_view

FIXTURE = Path(__file__).parent / "data" / "fixture_run"


def test_the_view_of_the_fixture() -> None:
    results = read_results(FIXTURE)
    view = build_view(results, read(FIXTURE), None)
    assert [s.name for s in view.scenarios] == ["blog-table", "io-concurrent", "cpu"]
    assert (view.ok, view.failed, view.flag_count) == (8, 1, 1)
    assert view.summary == "8 of 9 planned runs succeeded, 1 failed."
    assert (
        view.verdict_line
        == "Verdict: exit code 1 (an SLO failed, a metric regressed, a run failed or requests failed)."
    )
    burst, io, cpu = view.scenarios
    assert burst.table.header[:4] == ["Server", "Mode", "# Slow", "# Fast"]
    assert [c.text for c in burst.table.rows[3]] == [
        "uvicorn-1",
        "concurrent",
        "3",
        "15",
        "0.34 s",
        "53.58 req/s",
        "1.00",
    ]
    broken = next(row for row in io.table.rows if row[0].text == "broken")
    assert broken[2].kind == "error" and broken[2].span == len(io.table.header) - 2
    assert [run.server for run in io.errors] == ["broken"]
    assert cpu.why_not == ["CPU-bound mix: its cost is computation, not waiting"]
    assert io.resources is not None and io.resources.rows[1][2].text == "25.7 / 32.0"
    assert view.slo is not None and view.slo.rows[0][-1].kind == "violated"  # violations first
    assert view.baseline is not None and any(row[8].kind == "regression" for row in view.baseline.rows)


def test_markdown_lays_out_the_same_cells() -> None:
    results = read_results(FIXTURE)
    io = build_view(results, None, None).scenarios[1]
    lines = table(io.table)
    assert lines[0].startswith("| Server | Users | Requests |")
    assert lines[-1] == "| broken | 4 | **error** |" + "  |" * (len(io.table.header) - 3)
