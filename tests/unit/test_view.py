"""The report's view model (pure): every table composed once, the same for Markdown and HTML."""

from __future__ import annotations

from pathlib import Path

from perfsuite.judge.verdict import read
from perfsuite.record.results import (
    CapacityResult,
    CapacityStep,
    Flag,
    Latency,
    ModelResult,
    OpenResult,
    RunResult,
    SuiteResults,
    read_results,
)
from perfsuite.report.html import knees
from perfsuite.report.markdown import table
from perfsuite.report.view import bound_text, build_view

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "fixture_run"


def test_the_view_of_the_fixture() -> None:
    results = read_results(FIXTURE)
    view = build_view(results, read(FIXTURE), None)
    assert [s.name for s in view.scenarios] == ["blog-table", "io-concurrent", "cpu"]
    assert (view.ok, view.failed, view.flag_count) == (8, 1, 1)
    assert view.summary == "8 of 9 planned runs succeeded, 1 failed."
    assert (
        view.verdict_line == "Verdict: exit code 1 (an SLO failed, a metric regressed, a run failed, requests failed"
        " or no rate met a capacity objective)."
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


def open_run(server: str, rate: float, overloaded: bool = False, capacity_rps: float | None = None) -> RunResult:
    return RunResult(
        index=1, scenario="cap", server=server, mode="open", order=None, users=1, rate=rate, repeat=1, status="ok",
        requests=10, latency_ms=Latency(p50=100.0, p99=120.0),
        open=OpenResult(rate=rate, offered=10, completed=10, answered=10, achieved_rps=rate),
        model=ModelResult(applies=True, slots=1, slots_source="gunicorn sync: one request per worker",
                          service_s=0.1, service_source="probe", expected_rps=min(rate, 10.0),
                          expected_latency_ms=100.0 if rate < 10 else None, capacity_rps=capacity_rps,
                          utilisation=rate / 10),
        flags=[Flag(kind="overloaded", message="x")] if overloaded else [],
    )  # fmt: skip


def test_capacity_table_and_knees() -> None:
    sync = CapacityResult(scenario="cap", server="sync-1", rps=9.5, criterion="p99_ms < 400", model_rps=10.0,
                          steps=[CapacityStep(rate=5, ok=True), CapacityStep(rate=9.5, ok=True),
                                 CapacityStep(rate=10, ok=False)], converged=True)  # fmt: skip
    loop = CapacityResult(scenario="cap", server="uvicorn-1", rps=1280.0, criterion="p99_ms < 400",
                          model_rps=None, bound="loadgen", steps=[CapacityStep(rate=1280, ok=True)])  # fmt: skip
    none = CapacityResult(scenario="cap", server="tiny", rps=None, criterion="p99_ms < 400",
                          steps=[CapacityStep(rate=5, ok=False), CapacityStep(rate=0.625, ok=False)])  # fmt: skip
    runs = [open_run("sync-1", 5, capacity_rps=10.0), open_run("sync-1", 9.5, capacity_rps=10.4)]
    results = SuiteResults(suite="s", runs=runs, capacity=[sync, loop, none])
    (scenario,) = build_view(results, None, None).scenarios
    assert scenario.capacity_table is not None
    rows = {row[0].text: [cell.text for cell in row] for row in scenario.capacity_table.rows}
    assert rows["sync-1"][:7] == ["sync-1", "9.50", "10.00", "0.95", "server", "0.01", "p99_ms < 400"]
    assert rows["sync-1"][8] == "gunicorn sync: one request per worker; service 100.000 ms (probe)"
    assert rows["uvicorn-1"][1:6] == [">= 1,280 (load generator)", "n/a", "n/a", "load generator", "1.00"]
    assert rows["tiny"][1] == "< 0.62" and rows["tiny"][7] == "2 (not converged)"
    short = CapacityResult(scenario="cap", server="x", rps=80.0, criterion="p99_ms < 400",
                           steps=[CapacityStep(rate=5, ok=True), CapacityStep(rate=80, ok=True)])  # fmt: skip
    (quick,) = build_view(SuiteResults(suite="s", runs=runs, capacity=[short]), None, None).scenarios
    assert quick.capacity_table is not None
    assert [c.text for c in quick.capacity_table.rows[0]][1:5] == [
        ">= 80.00 (no rate failed)",
        "n/a",
        "n/a",
        "not reached",
    ]
    assert knees(runs, [sync]) == (10.4, 9.5)  # the model's median capacity; the search's result
    swept = [open_run("s", 5), open_run("s", 10), open_run("s", 20, overloaded=True)]
    assert knees(swept, []) == (None, 10)  # the highest rate below the first overloaded one
    report = table(scenario.capacity_table)
    assert report[2].startswith("| sync-1 | 9.50 | 10.00 | 0.95 | server |")


def test_what_bounds_a_run_is_named_with_its_share_in_use() -> None:
    def model(bound: str, **loads: float) -> ModelResult:
        return ModelResult(applies=True, bound=bound, loads=loads)  # type: ignore[arg-type]

    assert bound_text(model("server", cpu=0.65, server=0.997)) == "server (measured) 100%"
    assert bound_text(model("users", cpu=0.39, server=0.42)) == "users (server (measured) 42%)"
    assert bound_text(model("slots", slots=1.0)) == "slots 100%" and bound_text(None) == "n/a"
