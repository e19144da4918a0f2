"""A closed network of one or two stations, solved exactly (pure functions, numpy).

One class of customers (Locust's users), each cycling through the stations
with no think time. A station is a pure delay (a wait inside a request: it
holds no resource of its own) or load-dependent: `rates[j - 1]` is how many
requests per second it completes with j requests present (a CPU of m cores
with a demand of D seconds per request: min(j, m) / D; a flow-equivalent
server: the throughput of its inner network with j inside). Such a network
has a product-form solution (Lazowska et al., Quantitative System
Performance, ch. 8 and 20; Menasce and Almeida, Performance by Design):

    P(j at the first, N - j at the second) = f_1(j) f_2(N - j) / G(N)
    f(j) = prod_{i <= j} 1 / rate(i)        (a delay of Z: Z^j / j!)
    X(N) = G(N - 1) / G(N)

the same numbers as mean value analysis gives, computed in logarithms: every
term is positive, so nothing cancels. (MVA's recursion takes p(0 | n) as one
less the rest, which loses every digit near saturation: 100 slots, 150
users gave a throughput 47% above what the slots allow.) Throughput at every
population costs O(N^2), at one population O(N); INNER_LIMIT bounds the
former, past which an inner network runs at the rate it has reached.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, logsumexp

INNER_LIMIT = 4000  # requests inside a server solved exactly; beyond, the asymptotes min(n / (c + w), m / c)


@dataclass(frozen=True)
class Delay:
    seconds: float  # per request


@dataclass(frozen=True)
class Queue:
    """A load-dependent station: rates[j - 1] is its completions per second with j present
    (the last rate holds for any j beyond the list)."""

    rates: tuple[float, ...]

    def rate(self, count: int) -> np.ndarray:
        known = np.asarray(self.rates, dtype=float)
        if count <= len(known):
            return known[:count]
        return np.concatenate([known, np.full(count - len(known), known[-1])])


Station = Delay | Queue


@dataclass(frozen=True)
class Solution:
    throughput: tuple[float, ...]  # X(n) for n = 1..N (or X(N) alone, when asked for the last only)
    residence: tuple[float, ...]  # R_k(N): seconds a request spends at each station
    distribution: tuple[tuple[float, ...], ...]  # p_k(j | N), j = 0..N, for each station

    @property
    def rate(self) -> float:
        return self.throughput[-1]

    def busy(self, station: int, servers: float) -> float:
        """Mean of min(j, servers) at a station: its busy servers (slots held)."""
        p = np.asarray(self.distribution[station])
        return float(np.sum(np.minimum(np.arange(len(p)), servers) * p))


def _log_f(station: Station | None, count: int) -> np.ndarray:
    """log f(j) for j = 0..count; None: a station that holds nobody (f(0) = 1, else 0)."""
    j = np.arange(count + 1, dtype=float)
    if station is None:
        return np.where(j == 0, 0.0, -np.inf)
    if isinstance(station, Delay):
        return j * np.log(station.seconds) - gammaln(j + 1)
    rates = station.rate(count)
    if not np.all(np.isfinite(rates)) or not np.all(rates > 0):
        raise ValueError("a station's rate must be finite and above zero")
    return np.concatenate([[0.0], -np.cumsum(np.log(rates))])


def _checked(stations: list[Station], population: int) -> tuple[Station, Station | None]:
    if population < 1 or not 1 <= len(stations) <= 2:
        raise ValueError("a closed network of one or two stations needs at least one customer")
    for station in stations:
        if isinstance(station, Delay) and not (np.isfinite(station.seconds) and station.seconds > 0):
            raise ValueError("a delay must be a finite time above zero")
    return stations[0], stations[1] if len(stations) == 2 else None


def solve(stations: list[Station], population: int, every: bool = True) -> Solution:
    """The network at `population`, and its throughput at every population up to it
    (`every`), or at that one alone."""
    first, second = _checked(stations, population)
    f1, f2 = _log_f(first, population), _log_f(second, population)

    def log_g(n: int) -> float:
        return float(logsumexp(f1[: n + 1] + f2[n::-1]))

    if every:
        logs = [log_g(n) for n in range(population + 1)]
        throughput = tuple(float(np.exp(logs[n - 1] - logs[n])) for n in range(1, population + 1))
    else:
        throughput = (float(np.exp(log_g(population - 1) - log_g(population))),)
    terms = f1 + f2[::-1]
    p1 = np.exp(terms - logsumexp(terms))  # P(j at the first station | N)
    j = np.arange(population + 1)
    queues = [float(np.sum(j * p1)), float(np.sum(j[::-1] * p1))]
    x = throughput[-1]
    distribution = (tuple(float(v) for v in p1), tuple(float(v) for v in p1[::-1]))
    return Solution(
        throughput=throughput,
        residence=tuple(q / x for q in queues[: len(stations)]),
        distribution=distribution[: len(stations)],
    )


def cores_rates(demand_s: float, cores: float, up_to: int) -> Queue:
    """A CPU of `cores` cores (a GIL per process: one core per worker at most) with
    `demand_s` of CPU per request: min(j, cores) / demand."""
    return Queue(tuple(min(j, cores) / demand_s for j in range(1, max(1, math.ceil(min(up_to, cores))) + 1)))


def inner_throughput(cpu_s: float, wait_s: float, cores: float, inside: int, turns: float = 1.0) -> tuple[float, ...]:
    """A server's rate with 1..inside requests in its slots: each computes (sharing the
    cores) and waits (a delay, holding its slot). Its flow-equivalent server's rates.

    turns = 1: processor sharing, exact for processes time-sliced on shared cores (it does
    not depend on how long the bursts are). turns = 0: requests that take turns in one
    interpreter (threads under its GIL, greenlets, a loop), each burst run to its next
    wait, with bursts and waits of fixed length: they fall into step, one computing while
    the others wait, and never queue until the CPU is full: min(n / (cpu + wait), cores /
    cpu) (a 3 ms CPU + 10 ms wait route on gthread 1 x 4 measured 300 req/s: 307 here,
    240 by processor sharing). Between: the two weighted, by the mix's variability."""
    if cpu_s <= 0 and wait_s <= 0:
        raise ValueError("a request that neither computes nor waits")
    if cpu_s <= 0:
        return tuple(n / wait_s for n in range(1, inside + 1))
    if wait_s <= 0:
        return tuple(min(n, cores) / cpu_s for n in range(1, inside + 1))
    solved = solve([cores_rates(cpu_s, cores, inside), Delay(wait_s)], min(inside, INNER_LIMIT)).throughput
    # Past INNER_LIMIT inside, the asymptotes: by then within a fraction of a percent of the exact rate.
    ceiling = cores / cpu_s
    beyond = (max(solved[-1], min(n / (cpu_s + wait_s), ceiling)) for n in range(len(solved) + 1, inside + 1))
    shared = solved + tuple(beyond)
    if turns >= 1:
        return shared
    step = [min(n / (cpu_s + wait_s), cores / cpu_s) for n in range(1, inside + 1)]
    return tuple(turns * a + (1 - turns) * b for a, b in zip(shared, step, strict=True))
