"""The sizing answer (pure): one replica's rate, measured over predicted, and what serves the target."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from perfsuite.judge.capacity import criterion
from perfsuite.judge.sizing import answer, sizing_arrival, target_seconds
from perfsuite.plan.format import CapacityObjective, Scenario, Target
from perfsuite.record.results import CapacityResult, CapacityStep, RunResult, read_results

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "fixture_run"
TARGET = Target(rate=100, p99_ms="< 200", avg_ms="<= 50")


def sync_runs(objective_rps: float | None) -> list[RunResult]:
    runs = [r for r in read_results(FIXTURE).runs if r.scenario == "io-concurrent" and r.server == "gunicorn-sync-1"]
    return [
        r.model_copy(update={"model": r.model.model_copy(update={"objective_rps": objective_rps, "cores": 2})})
        for r in runs
        if r.model is not None
    ]


def scenario(mode: str = "steady") -> Scenario:
    extra = {"rate": 10} if mode == "open" else {}
    return Scenario.model_validate({"name": "io", "mode": mode, "mix": [{"path": "/x"}], "target": TARGET, **extra})


def test_a_target_as_text_and_seconds() -> None:
    assert criterion(TARGET) == "avg_ms <= 50, p99_ms < 200"  # its latencies, as written
    assert target_seconds(TARGET) == {"avg_ms": 0.05, "p99_ms": 0.2}
    assert sizing_arrival("steady", None) == "poisson" and sizing_arrival("open", None) == "constant"


def test_predicted_where_no_search_ran() -> None:
    got = answer(scenario(), "gunicorn-sync-1", sync_runs(9.0), None)
    assert got.capacity_source == "predicted" and got.capacity_rps == 9.0 and got.measured_rps is None
    assert got.replicas == math.ceil(100 / 9.0) == 12 and got.cores == 24
    memory = sync_runs(9.0)[0].server_resources.pss_mb.peak_total  # type: ignore[union-attr]
    assert got.memory_mb_per_replica == memory and got.memory_mb == pytest.approx(12 * memory, abs=0.1)
    assert got.rps_per_core == 4.5 and got.arrival == "poisson"


def test_a_searchs_measured_capacity_wins_unless_the_generator_bounded_it() -> None:
    failed = CapacityStep(rate=12.0, ok=False)
    found = CapacityResult(scenario="io", server="gunicorn-sync-1", rps=10.0, criterion="p99_ms < 200", steps=[failed])
    held_to = CapacityObjective(p99_ms="<  200", avg_ms="<= 50", error_rate="< 0.01")  # the target's latencies
    got = answer(scenario("open"), "gunicorn-sync-1", sync_runs(9.0), found, held_to)
    assert got.capacity_source == "measured" and got.capacity_rps == 10.0 and got.replicas == 10
    assert got.predicted_rps == 9.0 and got.arrival == "constant"
    bounded = found.model_copy(update={"bound": "loadgen"})
    assert answer(scenario("open"), "gunicorn-sync-1", sync_runs(9.0), bounded, held_to).capacity_source == "predicted"
    never_failed = found.model_copy(update={"steps": [CapacityStep(rate=10.0, ok=True)]})  # a lower bound only
    assert answer(scenario("open"), "gunicorn-sync-1", sync_runs(9.0), never_failed, held_to).capacity_rps == 9.0
    looser = CapacityObjective(p99_ms="< 1000")  # a search held to another objective answers another question
    assert answer(scenario("open"), "gunicorn-sync-1", sync_runs(9.0), found, looser).capacity_source == "predicted"


def test_no_answer_says_why() -> None:
    got = answer(scenario(), "gunicorn-sync-1", sync_runs(None), None)
    assert got.replicas is None and got.why_not == "no rate meets the objective"
    assert answer(scenario(), "nobody", [], None).why_not == "no run succeeded"
