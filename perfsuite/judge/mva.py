"""Exact mean value analysis of a closed network (pure functions, numpy).

One class of customers (Locust's users), each cycling through the stations
with no think time. A station is a pure delay (a wait inside a request: it
holds no resource of its own) or load-dependent: `rates[j]` is how many
requests per second it completes with j requests present (a CPU of m cores
with a demand of D seconds per request: min(j, m) / D; a flow-equivalent
server: the throughput of its inner network with j inside). Reiser and
Lavenberg's recursion over the population, with each load-dependent
station's marginal distribution p(j | n) (Lazowska et al., Quantitative
System Performance, ch. 8 and 20; Menasce and Almeida, Performance by
Design, ch. 13):

    R_k(n) = sum_j j / rate_k(j) * p_k(j - 1 | n - 1)      (delay: R_k = D_k)
    X(n)   = n / sum_k R_k(n)
    p_k(j | n) = X(n) / rate_k(j) * p_k(j - 1 | n - 1),   p_k(0 | n) = 1 - the rest

Past saturation p(0 | n) can come out a rounding error below zero; it is
clamped (the recursion's known weakness; the populations here are small).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
    throughput: tuple[float, ...]  # X(n) for n = 1..N
    residence: tuple[float, ...]  # R_k(N): seconds a request spends at each station
    distribution: tuple[tuple[float, ...] | None, ...]  # p_k(j | N), j = 0..N, for each load-dependent station

    @property
    def rate(self) -> float:
        return self.throughput[-1]

    def busy(self, station: int, servers: float) -> float:
        """Mean of min(j, servers) at a load-dependent station: its busy servers (slots held)."""
        p = self.distribution[station]
        assert p is not None
        j = np.arange(len(p))
        return float(np.sum(np.minimum(j, servers) * np.asarray(p)))


def solve(stations: list[Station], population: int) -> Solution:
    """The network's throughput for every population up to `population`, and its state at the last."""
    if population < 1 or not stations:
        raise ValueError("a closed network needs a station and at least one customer")
    rates = [s.rate(population) if isinstance(s, Queue) else None for s in stations]
    if any(r is not None and not np.all(r > 0) for r in rates):
        raise ValueError("a station's rate must be above zero")
    marginals = [np.array([1.0]) if isinstance(s, Queue) else None for s in stations]
    throughput: list[float] = []
    residence = np.zeros(len(stations))
    for n in range(1, population + 1):
        for k, station in enumerate(stations):
            if isinstance(station, Delay):
                residence[k] = station.seconds
            else:
                r, p = rates[k], marginals[k]
                assert r is not None and p is not None
                j = np.arange(1, n + 1)
                residence[k] = float(np.sum(j / r[:n] * p[:n]))
        total = float(residence.sum())
        if total <= 0:
            raise ValueError("every station takes no time: the throughput is unbounded")
        x = n / total
        throughput.append(x)
        for k, p in enumerate(marginals):
            r = rates[k]
            if p is None or r is None:
                continue
            nxt = np.empty(n + 1)
            nxt[1:] = x / r[:n] * p[:n]
            nxt[0] = max(0.0, 1.0 - float(nxt[1:].sum()))
            marginals[k] = nxt / nxt.sum()
    return Solution(
        throughput=tuple(throughput),
        residence=tuple(float(v) for v in residence),
        distribution=tuple(None if p is None else tuple(float(v) for v in p) for p in marginals),
    )


def cores_rates(demand_s: float, cores: float, up_to: int) -> Queue:
    """A CPU of `cores` cores (a GIL per process: one core per worker at most) with
    `demand_s` of CPU per request: min(j, cores) / demand."""
    return Queue(tuple(min(j, cores) / demand_s for j in range(1, max(1, up_to) + 1)))


def inner_throughput(cpu_s: float, wait_s: float, cores: float, inside: int) -> tuple[float, ...]:
    """A server's rate with 1..inside requests in its slots: each computes (sharing the
    cores) and waits (a delay, holding its slot). Its flow-equivalent server's rates.
    Exact for processes time-sliced on shared cores (processor sharing does not depend on
    how long the bursts are); requests that take turns within one worker (threads under
    its GIL, greenlets, a loop) with bursts of a fixed length queue less than this
    assumes, so such a config can do better than the model near its knee."""
    stations: list[Station] = []
    if cpu_s > 0:
        stations.append(cores_rates(cpu_s, cores, inside))
    if wait_s > 0:
        stations.append(Delay(wait_s))
    if not stations:
        raise ValueError("a request that neither computes nor waits")
    return solve(stations, inside).throughput
