"""Exact mean value analysis (perfsuite.judge.mva) against results known in closed form."""

from __future__ import annotations

from itertools import pairwise

import pytest

from perfsuite.judge.mva import Delay, Queue, cores_rates, inner_throughput, solve


def test_a_delay_alone_takes_every_customer_at_once() -> None:
    assert solve([Delay(0.1)], 7).throughput == pytest.approx([n / 0.1 for n in range(1, 8)])


def test_balanced_queues_follow_n_over_n_plus_k_minus_1() -> None:
    # K queues of demand D each: X(n) = n / ((n + K - 1) D).
    d, k = 0.01, 3
    solution = solve([Queue((1 / d,)) for _ in range(k)], 20)
    assert solution.throughput == pytest.approx([n / ((n + k - 1) * d) for n in range(1, 21)], rel=1e-9)


def test_a_multi_core_cpu_alone_completes_min_n_m_over_d() -> None:
    solution = solve([cores_rates(0.002, 4, 10)], 10)
    assert solution.throughput == pytest.approx([min(n, 4) / 0.002 for n in range(1, 11)])


def test_a_queue_and_a_delay_match_the_classic_recursion() -> None:
    d, z, x, q = 0.003, 0.05, 0.0, 0.0
    expected = []
    for n in range(1, 41):
        r = d * (1 + q)
        x = n / (r + z)
        q = x * r
        expected.append(x)
    solution = solve([Queue((1 / d,)), Delay(z)], 40)
    assert solution.throughput == pytest.approx(expected, rel=1e-9)
    assert solution.residence[0] == pytest.approx(40 / expected[-1] - z, rel=1e-9)


def test_the_inner_network_saturates_at_the_cores_or_the_wait() -> None:
    # 2 cores, 1 ms of CPU and 9 ms of waiting a request: 1 inside does 100/s; many saturate the cores at 2,000/s.
    rates = inner_throughput(0.001, 0.009, 2, 200)
    assert rates[0] == pytest.approx(100) and rates[-1] == pytest.approx(2000, rel=1e-6)
    assert all(a <= b + 1e-9 for a, b in pairwise(rates))  # never falls as more come in


def test_busy_servers_are_the_mean_of_min_j_servers() -> None:
    solution = solve([Queue((1 / 0.01,)), Delay(0.01)], 2)  # one customer at the queue half the time, roughly
    busy = solution.busy(0, 1)
    assert 0 < busy < 1 and busy == pytest.approx(solution.rate * 0.01, rel=1e-9)  # utilisation law


def test_bad_networks_are_refused() -> None:
    with pytest.raises(ValueError):
        solve([], 3)
    with pytest.raises(ValueError):
        solve([Delay(0.1)], 0)
    with pytest.raises(ValueError):
        solve([Queue((0.0,))], 2)
