"""What a report opens with (pure): the winner and by how much, a generator's limit as a
lower bound, and the sizing table."""

from __future__ import annotations

from pathlib import Path

from perfsuite.record.results import CapacityResult, Flag, RunResult, SizingResult, read_results
from perfsuite.report.answer import headline, sizing_line, sizing_table

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "fixture_run"


def runs_of(scenario: str) -> list[RunResult]:
    return [run for run in read_results(FIXTURE).runs if run.scenario == scenario]


def test_the_winner_and_by_how_much_per_users_level_and_per_burst_order() -> None:
    io = runs_of("io-concurrent")  # the failed run is left out, the rest ranked by throughput
    assert headline("steady", io, []) == ["At 4 users: uvicorn-1 leads: 36.15 req/s, 3.71x gunicorn-sync-1 (9.73)."]
    burst = headline("burst", runs_of("blog-table"), [])
    assert burst == [
        "Sequential: uvicorn-1 and gunicorn-sync-1 tie within 5%: 19.63 req/s.",
        "Concurrent: uvicorn-1 leads: 53.58 req/s, 2.81x gunicorn-sync-1 (19.08).",
    ]


def test_a_run_the_generator_bounds_is_a_lower_bound_and_alike_ones_are_not_told_apart() -> None:
    saturated = Flag(kind="loadgen_saturated", message="Locust at 97%")
    io = [
        run.model_copy(update={"flags": [saturated]}) if run.server != "broken" else run
        for run in runs_of("io-concurrent")
    ]
    io = [run.model_copy(update={"rps": 36.0}) if run.server == "gunicorn-sync-1" else run for run in io]
    (said,) = headline("steady", io, [])
    assert said.startswith("At 4 users: uvicorn-1 leads: >= 36.15 req/s, the load generator's limit")
    assert "gunicorn-sync-1 reach the same limit: not told apart here" in said


def test_a_capacity_search_answers_with_its_capacities() -> None:
    found = [
        CapacityResult(scenario="s", server="a", rps=100.0, criterion="p99_ms < 200"),
        CapacityResult(scenario="s", server="b", rps=None, criterion="p99_ms < 200"),
        CapacityResult(scenario="s", server="c", rps=40.0, criterion="p99_ms < 200"),
    ]
    assert headline("open", [], found) == ["Capacity: a leads: 100.0 req/s, 2.50x c (40.00)."]


def test_the_sizing_table_and_its_line() -> None:
    answers = [
        SizingResult(scenario="s", server="loop", target_rps=500, objective="p99_ms < 200", capacity_rps=300,
                     capacity_source="measured", predicted_rps=287, measured_rps=300, replicas=2, cores=2,
                     cores_per_replica=1, memory_mb=48.2, memory_mb_per_replica=24.1, rps_per_core=300, rank=1),
        SizingResult(scenario="s", server="odd", target_rps=500, objective="p99_ms < 200", why_not="no run"),
    ]  # fmt: skip
    table = sizing_table(answers)
    assert table is not None and [c.text for c in table.rows[0][:7]] == [
        "1",
        "loop",
        "2",
        "2",
        "48",
        "300.0",
        "measured",
    ]
    assert table.rows[1][2].text == "no answer: no run" and len(table.rows[1]) == len(table.header)
    assert sizing_line(answers) == (
        "Target 500.0 req/s at p99_ms < 200: 2 x loop (2 cores, 48 MB) serve it with the fewest cores."
    )
    assert sizing_table([]) is None and sizing_line([]) is None
