"""report.md rendered from a fixed results fixture (a real 5 s seed run, trimmed)."""

from __future__ import annotations

import json
from pathlib import Path

from perfsuite.report_md import render
from perfsuite.results import SuiteResults

FIXTURE = Path(__file__).parent / "data" / "results_seed.json"


def results() -> SuiteResults:
    return SuiteResults.model_validate(json.loads(FIXTURE.read_text()))


def test_burst_scenario_in_the_classic_table_shape() -> None:
    text = render(results())
    assert "## blog-table (burst)" in text
    assert "| Server | Mode | # Slow | # Fast | Elapsed | Throughput | vs best |" in text
    assert "| gunicorn-sync-1 | sequential | 3 | 15 | 15.03 s | 1.20 req/s | 0.33 |" in text
    assert "| uvicorn-1 | concurrent | 3 | 15 | 5.03 s | 3.58 req/s | 1.00 |" in text


def test_steady_rows_and_errors() -> None:
    text = render(results())
    assert "| Server | Users | Requests | Failures | RPS | Avg ms | p50 ms | p95 ms | p99 ms | RPS vs best |" in text
    assert "| broken | 10 | **error** |" in text
    assert "- **mixed / broken** (10 users): server exited with code 3 before it was ready" in text
    assert "6 of 8 planned runs succeeded, 1 failed." in text


def test_render_is_pure_and_small() -> None:
    first, second = render(results()), render(results())
    assert first == second
    assert len(first.encode()) < 1024 * 1024
