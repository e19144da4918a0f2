"""Exact mean value analysis (perfsuite.judge.mva) against results known in closed form."""

from __future__ import annotations

from itertools import pairwise

import pytest

from perfsuite.judge.mva import Delay, Queue, cores_rates, inner_throughput, solve


def test_a_delay_alone_takes_every_customer_at_once() -> None:
    assert solve([Delay(0.1)], 7).throughput == pytest.approx([n / 0.1 for n in range(1, 8)])


def test_balanced_queues_follow_n_over_n_plus_k_minus_1() -> None:
    # K queues of demand D each: X(n) = n / ((n + K - 1) D); here K = 2.
    d, k = 0.01, 2
    solution = solve([Queue((1 / d,)) for _ in range(k)], 20)
    assert solution.throughput == pytest.approx([n / ((n + k - 1) * d) for n in range(1, 21)], rel=1e-9)


def reference_mva(rates: list[float], delay: float, users: int) -> float:
    """Reiser and Lavenberg's recursion for one load-dependent station and a delay,
    in exact fractions: no rounding to lose digits to."""
    from fractions import Fraction

    p = [Fraction(1)]
    x = Fraction(0)
    for n in range(1, users + 1):
        mu = [Fraction(rates[min(j, len(rates)) - 1]) for j in range(1, n + 1)]
        r = sum(Fraction(j) / mu[j - 1] * p[j - 1] for j in range(1, n + 1))
        x = n / (r + Fraction(delay))
        nxt = [Fraction(0)] + [x / mu[j - 1] * p[j - 1] for j in range(1, n + 1)]
        nxt[0] = 1 - sum(nxt[1:])
        p = nxt
    return float(x)


@pytest.mark.parametrize(("cores", "users"), [(1, 6), (3, 10), (4, 25)])
def test_a_multi_core_cpu_and_a_delay_match_the_recursion_in_exact_arithmetic(cores: int, users: int) -> None:
    demand, delay = 0.004, 0.02
    rates = [min(j, cores) / demand for j in range(1, users + 1)]
    got = solve([cores_rates(demand, cores, users), Delay(delay)], users).rate
    assert got == pytest.approx(reference_mva(rates, delay, users), rel=1e-9)


def test_near_saturation_nothing_cancels() -> None:
    """A review found MVA's p(0 | n) = 1 - the rest losing every digit: 100 slots of 100 ms waits
    and 150 users came out 47% above what the slots allow. The rate stays under S / s, and the
    slots read full."""
    from perfsuite.judge.expectation import closed_loop

    rps, loads, waiting = closed_loop(150, inner_throughput(1e-4, 0.1, 2, 100), 100, 1e-4, 2, 5e-4, 1)
    assert rps <= 100 / 0.1001 and rps == pytest.approx(100 / 0.1001, rel=0.01)
    assert loads["slots"] == pytest.approx(1.0, abs=0.01)
    assert waiting is not None and 49 <= waiting <= 50  # all but Locust's one or two wait for a slot
    _, half, none_wait = closed_loop(50, inner_throughput(1e-4, 0.05, 2, 100), 100, 1e-4, 2, 5e-4, 1)
    assert half["slots"] == pytest.approx(0.5, abs=0.02)  # 50 users in 100 slots
    assert none_wait == 0
    many_cores = inner_throughput(0.001, 0.1, 128, 2000)
    assert max(many_cores) <= 128 / 0.001 * (1 + 1e-9)


def test_many_users_are_solved_quickly() -> None:
    import time

    from perfsuite.judge.expectation import closed_loop, server_rates

    started = time.monotonic()
    rates = server_rates(float("inf"), 0.0002, 0.1, 2)
    rps, loads, waiting = closed_loop(5000, rates, float("inf"), 0.0002, 2, 0.0001, 1)
    assert waiting is None  # no slots to wait for
    assert time.monotonic() - started < 5  # O(N) at the outer network, INNER_LIMIT inside
    assert rps == pytest.approx(2 / 0.0002, rel=0.01) and loads["cpu"] <= 1.0 + 1e-9


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
