"""The open-load model: birth-death on a flow-equivalent station, percentiles, the highest rate."""

from __future__ import annotations

import pytest

from perfsuite.judge.mva import inner_throughput
from perfsuite.judge.openmodel import highest_rate, predict, station


def slots_station(slots: int, service: float, *more: tuple[float, float]) -> object:
    rates = [min(j, slots) / service for j in range(1, slots + 1)]
    return station(rates, slots, [(service, 1.0), *more])


def erlang_c(servers: int, offered: float) -> float:
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = offered * blocking / (k + offered * blocking)
    return blocking / (1 - offered / servers * (1 - blocking))


def test_poisson_arrivals_on_slots_wait_as_m_d_c() -> None:
    st = slots_station(4, 0.1)
    got = predict(st, 30, "poisson")  # type: ignore[arg-type]
    wait = erlang_c(4, 3.0) * 0.1 / (4 - 3.0) / 2  # M/M/c's wait, halved for a fixed service time
    assert got.latency_s == pytest.approx(0.1 + wait, rel=1e-6)
    assert got.busy_slots == pytest.approx(3.0, rel=1e-6)  # Little: L s


def test_percentiles_of_one_slot_follow_the_geometric_queue() -> None:
    # rate 5 on 100 ms: P(j present) = 0.5^(j+1); p99 arrives to find 6, waits 0.6 s, halved.
    got = predict(slots_station(1, 0.1), 5, "poisson")  # type: ignore[arg-type]
    assert got.percentiles_s["p50_ms"] == pytest.approx(0.1)
    assert got.percentiles_s["p99_ms"] == pytest.approx(0.1 + 0.5 * 0.6)


def test_evenly_spaced_arrivals_of_a_fixed_time_never_queue_below_capacity() -> None:
    st = slots_station(2, 0.05)
    got = predict(st, 39, "constant")  # type: ignore[arg-type]
    assert got.latency_s == pytest.approx(0.05) and got.percentiles_s["p99_ms"] == pytest.approx(0.05)
    assert predict(st, 40, "constant").latency_s is None  # type: ignore[arg-type]
    assert highest_rate(st, {"p99_ms": 0.06}) == pytest.approx(40, rel=1e-3)  # type: ignore[arg-type]


def test_a_mix_takes_its_slow_entry_as_its_p99() -> None:
    mean = 0.95 * 0.005 + 0.05 * 0.2  # 5% of requests take 200 ms
    st = station([min(j, 8) / mean for j in range(1, 9)], 8, [(0.005, 0.95), (0.2, 0.05)])
    got = predict(st, 10, "constant")  # type: ignore[arg-type]
    assert got.percentiles_s["p99_ms"] >= 0.2 and got.percentiles_s["p50_ms"] < 0.01


def test_the_highest_rate_an_objective_allows_is_below_capacity_and_monotone() -> None:
    st = slots_station(4, 0.1)
    strict = highest_rate(st, {"p99_ms": 0.15}, "poisson")  # type: ignore[arg-type]
    loose = highest_rate(st, {"p99_ms": 0.5}, "poisson")  # type: ignore[arg-type]
    assert 0 < strict < loose < 40
    assert predict(st, strict, "poisson").percentiles_s["p99_ms"] <= 0.15  # type: ignore[arg-type]
    assert highest_rate(st, {"p99_ms": 0.05}, "poisson") == 0.0  # type: ignore[arg-type]


def test_a_station_that_computes_is_bound_by_its_cores() -> None:
    rates = inner_throughput(0.003, 0.010, 1, 4)  # gthread 1 x 4: 3 ms of CPU, 10 ms of waiting
    st = station(rates, 4, [(0.013, 1.0)])
    assert st.capacity == pytest.approx(rates[-1]) and st.capacity < 1 / 0.003
    low, high = predict(st, 0.2 * st.capacity, "poisson"), predict(st, 0.9 * st.capacity, "poisson")
    assert low.latency_s is not None and high.latency_s is not None
    assert 0.013 <= low.latency_s < 0.02 and high.latency_s > 2 * low.latency_s  # the queue at 90% of capacity


def test_a_rate_whose_queue_outgrows_the_states_is_taken_as_at_capacity() -> None:
    st = slots_station(1, 0.1)
    assert predict(st, 10 * (1 - 1e-9), "poisson").latency_s is None  # type: ignore[arg-type]
    assert predict(st, 9.9, "poisson").latency_s == pytest.approx(0.1 + 0.5 * 9.9 * 0.1 * 0.1 / (1 - 0.99), rel=1e-3)  # type: ignore[arg-type]
