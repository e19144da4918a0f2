"""The capacity search (pure): where it steps, when it stops, how a step is judged."""

from __future__ import annotations

import pytest

from perfsuite.judge.capacity import (
    Search,
    criterion,
    round_rate,
    start_connections,
    start_rate,
    step_of,
    stream_step_of,
)
from perfsuite.plan.format import CapacityObjective
from perfsuite.record.results import CapacityStep, Flag, Lag, Latency, OpenResult, RunResult, StreamResult


def run_until(search: Search, capacity: float, generator: float = float("inf"), hiccup: float = -1) -> list[float]:
    """Drive a search against a server that takes `capacity` and a generator that sends up to `generator`
    (saturated beyond it); at rate `hiccup` the generator falls behind once, with CPU to spare."""
    while (rate := search.next_rate()) is not None:
        behind = rate > generator
        once = rate == hiccup and not any(step.rate == hiccup for step in search.steps)
        step = CapacityStep(
            rate=rate, ok=rate <= capacity and not (behind or once), loadgen_behind=behind or once,
            loadgen_saturated=behind,
        )  # fmt: skip
        search.add(step)
    return [step.rate for step in search.steps]


@pytest.mark.parametrize("capacity", [0.7, 3.0, 10.0, 37.0, 450.0])
def test_the_search_brackets_the_capacity_within_five_percent(capacity: float) -> None:
    search = Search(start=5.0, max_steps=20)
    run_until(search, capacity)
    assert search.converged and search.best is not None and search.lowest_failed is not None
    assert search.best <= capacity < search.lowest_failed
    assert (search.lowest_failed - search.best) / search.best <= 0.05


def test_the_search_takes_at_most_its_steps_and_reports_the_best_passing_rate() -> None:
    search = Search(start=5.0)
    rates = run_until(search, 10.0)
    assert len(rates) <= 8 and rates[:3] == [5.0, 10.0, 20.0]
    assert search.best is not None and 9.5 <= search.best <= 10.0 and not search.generator_bound


def test_the_models_prediction_moves_a_doubling_search_toward_it_sixteen_times_at_most() -> None:
    search = Search(start=5.0)
    search.add(CapacityStep(rate=5.0, ok=True))
    search.tell(1000.0)
    assert search.next_rate() == 80.0  # 0.8 x 1000, capped at 16 x 5
    search.tell(float("inf"))  # an unbounded prediction is no hint
    assert search.hint == 1000.0
    search.tell(50.0)
    assert search.next_rate() == 40.0  # 0.8 x 50
    down = Search(start=100.0)
    down.add(CapacityStep(rate=100.0, ok=False))
    down.tell(10.0)
    assert down.next_rate() == 8.0  # failing, down to 0.8 x the model's capacity rather than halving


def test_old_generator_limits_above_a_server_failure_do_not_bound_the_search() -> None:
    search = Search(start=8000.0)
    for rate, ok, behind in (
        (8000.0, False, True),
        (4000.0, False, True),
        (2000.0, False, False),
        (1000.0, True, False),
    ):
        search.add(CapacityStep(rate=rate, ok=ok, loadgen_behind=behind, loadgen_saturated=behind))
    assert not search.generator_bound and search.next_rate() == 1500.0


def test_a_failed_run_ends_the_search() -> None:
    search = Search(start=5.0)
    search.add(CapacityStep(rate=5.0, ok=False, run_failed=True, why="server exited"))
    assert search.next_rate() is None and search.best is None


def test_the_generator_falling_behind_ends_the_search_as_its_bound() -> None:
    search = Search(start=100.0)
    rates = run_until(search, capacity=10_000.0, generator=700.0)
    assert rates == [100.0, 200.0, 400.0, 800.0]
    assert search.best == 400.0 and search.generator_bound


def test_a_generator_behind_with_cpu_to_spare_is_retried_once() -> None:
    search = Search(start=5.0)
    rates = run_until(search, capacity=100.0, hiccup=10.0)
    assert rates[:4] == [5.0, 10.0, 10.0, 20.0] and not search.generator_bound
    twice = Search(start=5.0)
    twice.add(CapacityStep(rate=5.0, ok=True))
    for _ in range(2):
        assert twice.next_rate() == 10.0
        twice.add(CapacityStep(rate=10.0, ok=False, loadgen_behind=True))
    assert twice.generator_bound and twice.next_rate() is None


def test_a_search_that_never_passes_gives_no_capacity() -> None:
    search = Search(start=5.0)
    rates = run_until(search, capacity=0.0)
    assert rates == [5.0, 2.5, 1.25, 0.625, 0.312, 0.156] and search.best is None  # down to 0.1 req/s


def test_start_and_rounding() -> None:
    assert start_rate(None) == 5.0 and start_rate(float("inf")) == 5.0 and start_rate(10.0) == 8.0
    assert start_rate(10_000.0) == 100.0  # a gevent worker's 1000 connections: capped
    assert [round_rate(r) for r in (12.3456, 1234.5, 0.012345, 7.0)] == [12.3, 1230.0, 0.0123, 7.0]


def open_run(
    p99: float, answered: int, offered: int = 100, failures: int = 0, flags: tuple[str, ...] = ()
) -> RunResult:
    return RunResult(
        index=1, scenario="s", server="x", mode="open", order=None, users=1, rate=10.0, repeat=1, status="ok",
        requests=answered, failures=failures, latency_ms=Latency(p99=p99),
        open=OpenResult(rate=10.0, offered=offered, completed=answered - failures, failed=failures,
                        unfinished=offered - answered, answered=answered, achieved_rps=answered / 10),
        flags=[Flag(kind=kind, message=kind) for kind in flags],
    )  # fmt: skip


def test_a_step_passes_only_if_every_objective_holds_and_the_offered_load_was_answered() -> None:
    objective = CapacityObjective(p99_ms="< 400", error_rate="< 0.01")
    assert criterion(objective) == "p99_ms < 400, error_rate < 0.01"
    assert step_of(open_run(p99=380, answered=100), objective).ok
    slow = step_of(open_run(p99=410, answered=100), objective)
    assert not slow.ok and slow.why == "p99_ms 410, wanted < 400"
    assert "error_rate 0.02" in (step_of(open_run(p99=10, answered=100, failures=2), objective).why or "")
    assert "answered 9 of 10 req/s" in (step_of(open_run(p99=10, answered=90), objective).why or "")
    behind = step_of(open_run(p99=10, answered=100, flags=("loadgen_behind",)), objective)
    assert not behind.ok and behind.loadgen_behind
    # A server answering too few, with the generator not saturated: the server's limit, not the generator's.
    swamped = step_of(open_run(p99=2600, answered=40, flags=("loadgen_behind",)), objective)
    assert not swamped.ok and not swamped.loadgen_behind
    saturated = step_of(open_run(p99=2600, answered=40, flags=("loadgen_behind", "loadgen_saturated")), objective)
    assert saturated.loadgen_behind
    failed = RunResult(index=1, scenario="s", server="x", mode="open", order=None, users=1, rate=10.0, repeat=1,
                       status="error", error="server exited")  # fmt: skip
    assert step_of(failed, objective) == CapacityStep(rate=10.0, ok=False, run_failed=True, why="server exited")
    # Without an error_rate objective, the scenario's allowed error rate (the errors flag) holds each step.
    errors = step_of(open_run(p99=10, answered=100, failures=50, flags=("errors",)), CapacityObjective(p99_ms="< 400"))
    assert not errors.ok and errors.why == "errors"


@pytest.mark.parametrize("holds", [1, 2, 5, 37, 300])
def test_a_connections_search_steps_in_whole_connections_to_within_one(holds: int) -> None:
    search = Search(start=start_connections(4.0), max_steps=20, whole=True)
    tried = run_until(search, holds)
    assert all(value == int(value) and value >= 1 for value in tried)
    assert search.converged and search.best == holds and search.lowest_failed == holds + 1
    assert start_connections(float("inf")) == 16 and start_connections(2.0) == 2


def stream_run(held: int, connections: int, gap_p99: float, ttfb_p99: float, cut: int = 0) -> RunResult:
    stream = StreamResult(
        connections=connections, path="/s", held=held, gap_ms=Lag(p50=100, p99=gap_p99, max=gap_p99),
        ttfb_ms=Lag(p50=1, p99=ttfb_p99, max=ttfb_p99), completed=40, cut=cut,
    )  # fmt: skip
    return RunResult(index=1, scenario="s", server="x", mode="stream", order=None, users=connections,
                     connections=connections, repeat=1, status="ok", stream=stream)  # fmt: skip


def test_a_connections_step_holds_every_connection_within_the_objective() -> None:
    objective = CapacityObjective(gap_p99_ms="< 200", ttfb_p99_ms="< 1000")
    assert stream_step_of(stream_run(32, 32, 140, 20), objective).ok
    held_fewer = stream_step_of(stream_run(4, 32, 105, 8000), objective)
    assert not held_fewer.ok and held_fewer.why == "held 4 of 32 at once; ttfb_p99_ms 8000, wanted < 1000"
    late = stream_step_of(stream_run(64, 64, 450, 30), objective)
    assert not late.ok and late.why == "gap_p99_ms 450, wanted < 200" and late.connections == 64
    assert stream_step_of(stream_run(8, 8, 100, 5, cut=2), objective).why == "2 streams failed or were cut"
    allowed = CapacityObjective(gap_p99_ms="< 200", error_rate="< 0.1")
    assert stream_step_of(stream_run(8, 8, 100, 5, cut=2), allowed).ok  # 2 of 42 ended badly: under 10%
    assert criterion(objective) == "gap_p99_ms < 200, ttfb_p99_ms < 1000"
