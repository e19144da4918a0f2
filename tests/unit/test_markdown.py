"""report.md rendered from a fixed results fixture.

tests/data/fixture_run/ is a real run of tests/data/fixture_suite.yaml
(burst table, I/O-wait steady runs with the model, an undersized server, a
CPU-bound mix, a broken app), with machine-specific paths removed.
"""

from __future__ import annotations

import json
from pathlib import Path

from perfsuite.record.results import SuiteResults
from perfsuite.report.markdown import render

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "fixture_run" / "results.json"


def results() -> SuiteResults:
    return SuiteResults.model_validate(json.loads(FIXTURE.read_text()))


def test_burst_scenario_in_the_classic_table_shape() -> None:
    text = render(results())
    assert "## blog-table (burst)" in text
    assert "| Server | Mode | # Slow | # Fast | Elapsed | Throughput | vs best |" in text
    assert "| gunicorn-sync-1 | concurrent | 3 | 15 | 0.94 s | 19.08 req/s | 0.36 |" in text
    assert "| uvicorn-1 | concurrent | 3 | 15 | 0.34 s | 53.58 req/s | 1.00 |" in text


def test_steady_rows_show_expected_beside_measured() -> None:
    text = render(results())
    assert (
        "| Server | Users | Requests | Failures | RPS | Expected RPS | Measured / expected | Bound by | Avg ms"
        " | Expected ms | p50 ms | p95 ms | p99 ms | RPS vs best | Flags |"
    ) in text
    assert (
        "| gunicorn-sync-1 | 4 | 20 | 0 | 9.73 | 9.80 | 0.99 | slots | 418.2 | 408.0 | 410 | 470 | 470 | 0.27 |  |"
    ) in text
    assert "| uvicorn-pool-1 | 4 | 7 | 0 | 3.41 | 35.44 | 0.10 | users |" in text and "⚠ model mismatch |" in text
    assert "| uvicorn-1 | 4 | 3,348 | 0 | 1,654 | n/a | n/a | n/a | 2.3 | n/a |" in text
    assert "Model n/a: CPU-bound mix: its cost is computation, not waiting." in text


def test_resources_and_flags_are_where_the_reader_looks() -> None:
    text = render(results())
    assert (
        "| Server | Users | Server CPU % mean / peak | Server CPU s per 1k req | Workers | USS MB per worker |" in text
    )
    assert "| uvicorn-1 | 4 | 25.7 / 32.0 | 6.1 | 1 | 26.9 | 26.9 | 40.8 | 2.3 / 4.0 | 100.3 |" in text
    # A sub-second burst's CPU comes from the samples bracketing it.
    assert "| gunicorn-sync-1 | concurrent | 1.3 / 4.0 | 0.6 | 1 | 15.1 |" in text
    assert "- **io-concurrent / uvicorn-pool-1** (4 users): model mismatch: throughput 0.10x the model's;" in text


def test_errors_are_listed() -> None:
    text = render(results())
    assert "| broken | 4 | **error** |" in text
    assert "- **io-concurrent / broken** (4 users): server exited with code 3 before it was ready" in text
    assert "8 of 9 planned runs succeeded, 1 failed." in text
    # The log tail follows in a fence no line of the log can close.
    data = results()
    broken = next(i for i, run in enumerate(data.runs) if not run.ok)
    log = "server exited\n--- last lines of server.log ---\n```\n# not a heading\n~~~~\n`````"
    data.runs[broken] = data.runs[broken].model_copy(update={"error": log})
    lines = render(data).splitlines()
    start = lines.index("  ``````text")
    assert lines[start + 1 : start + 7] == ["  --- last lines of server.log ---", "  ```", "  # not a heading",
                                            "  ~~~~", "  `````", "  ``````"]  # fmt: skip


def test_render_is_pure_and_small() -> None:
    data = results()
    before = data.model_dump()
    first, second = render(data), render(data)
    assert first == second and data.model_dump() == before  # same text, input untouched
    # GitHub's step summary takes 1 MiB: 100 runs stay well under it.
    many = data.model_copy(
        update={"runs": [run.model_copy(update={"index": i}) for i in range(12) for run in data.runs]}
    )
    assert len(many.runs) >= 100 and len(render(many).encode()) < 256 * 1024


def test_the_bound_shows_how_much_of_it_is_in_use() -> None:
    from perfsuite.record.results import ModelResult
    from perfsuite.report.view import bound_text

    busy = ModelResult(applies=True, bound="loadgen", loads={"loadgen": 0.97, "cpu": 0.4})
    assert bound_text(busy) == "load generator 97%"
    assert bound_text(ModelResult(applies=True, bound="users", loads={"cpu": 0.1})) == "users (server CPU 10%)"
    open_run = ModelResult(applies=True, bound="rate", loads={"slots": 0.51, "cpu": 0.02, "loadgen": 0.1})
    assert bound_text(open_run) == "offered rate (slots 51%)"
    assert bound_text(ModelResult(applies=True, bound="users")) == "users"  # schema 4: no loads
    assert bound_text(ModelResult(applies=False, why_not="x")) == "n/a"
