"""Open load on a flow-equivalent server: capacity, latency and its percentiles
at an arrival rate, and the highest rate an objective allows (pure, numpy).

The server is the same station the closed loops use: `rates[j - 1]` requests
per second complete with j inside its slots (its inner network of CPU and
waits, perfsuite.judge.mva.inner_throughput); with all `slots` busy, more
requests queue at the last rate. Its capacity is that last rate.

Poisson arrivals at rate L make the number present a birth-death process
(exact for the station): p(j) is proportional to prod_{i <= j} L / rate(i),
geometric past the last rate. Mean latency is N / L (Little's law). A request
arriving to find j present (what arrivals see is the time average for a
Poisson stream) takes about
    queue(j) + s_e * stretch(j + 1)
where queue(j) is the time for j - slots + 1 departures at the full rate,
stretch(n) = (n / rate(n)) / s is how much company slows a request (the CPU
shared), and s_e is its own entry's service time: the percentiles are those
of that mixture over entries and states. Other arrival processes and service
times that vary are taken by the Allen-Cunneen approximation: the time a
request spends beyond its idle service is scaled by (Ca^2 + Cs^2) / 2, Ca^2 =
1 for Poisson arrivals and 0 for evenly spaced ones, Cs^2 the mix's squared
coefficient of variation. (A request with a fixed service time, one slot and
Poisson arrivals: M/D/1's mean wait, half M/M/1's.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from perfsuite.judge.compare import PERCENTILE_FRACTIONS as PERCENTILES

TAIL_MASS = 1e-7  # states past the last rate are followed until this much probability is left
MAX_STATES = 500_000  # a rate whose queue needs more states is this close to capacity: taken as at it
SEARCH_ITERATIONS = 40


@dataclass(frozen=True)
class OpenStation:
    rates: tuple[float, ...]  # completions per second with 1..len inside (then the last)
    slots: float  # requests served at once (inf: as many as come)
    services: tuple[tuple[float, float], ...]  # (seconds on an idle server, share of requests)

    @property
    def capacity(self) -> float:
        return self.rates[-1] if self.rates else 0.0

    @property
    def mean_service(self) -> float:
        return sum(s * share for s, share in self.services)

    def variability(self, arrival: str) -> float:
        """(Ca^2 + Cs^2) / 2 (Allen-Cunneen)."""
        mean = self.mean_service
        spread = sum(share * (s - mean) ** 2 for s, share in self.services) / mean**2 if mean > 0 else 0.0
        return ((1.0 if arrival == "poisson" else 0.0) + spread) / 2


def station(
    rates: Sequence[float], slots: float, services: Mapping[str, tuple[float, int]] | Sequence[tuple[float, float]]
) -> OpenStation:
    """A station from its inner rates and its entries' (service seconds, requests or weight)."""
    pairs = list(services.values()) if isinstance(services, Mapping) else list(services)
    total = sum(weight for _, weight in pairs)
    if not rates or total <= 0:
        raise ValueError("a station needs rates and requests")
    shares = tuple((float(s), weight / total) for s, weight in pairs if weight > 0)
    return OpenStation(tuple(float(r) for r in rates), slots, shares)


@dataclass(frozen=True)
class OpenPrediction:
    rate: float
    capacity: float
    latency_s: float | None  # mean; None: at or past capacity, no finite latency
    percentiles_s: dict[str, float]  # p50_ms/p95_ms/p99_ms -> seconds (empty past capacity)
    busy_slots: float  # mean slots held
    waiting: float = 0.0  # mean requests waiting for a slot (scaled as the latency is)


def _needed(st: OpenStation, rate: float) -> int:
    """States to follow: the listed rates, then the geometric tail until TAIL_MASS is left."""
    rho = rate / st.capacity
    tail = 0 if rho <= 0 else math.ceil(math.log(TAIL_MASS * (1 - rho)) / math.log(rho))
    return len(st.rates) + max(tail, 0)


def _states(st: OpenStation, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """(j, p(j)) for the number present, the geometric tail cut at TAIL_MASS."""
    last = len(st.rates)
    count = _needed(st, rate)
    mu = np.concatenate([np.asarray(st.rates), np.full(count - last, st.capacity)]) if count > last else st.rates
    log_p = np.concatenate([[0.0], np.cumsum(np.log(rate) - np.log(np.asarray(mu[:count])))])
    p = np.exp(log_p - log_p.max())
    return np.arange(count + 1, dtype=float), p / p.sum()


def predict(st: OpenStation, rate: float, arrival: str = "constant") -> OpenPrediction:
    """The station at an arrival rate: mean latency and percentiles, or overloaded."""
    if rate >= st.capacity or rate <= 0 or _needed(st, rate) > MAX_STATES:  # at capacity, as near as matters
        return OpenPrediction(rate, st.capacity, None if rate > 0 else st.mean_service, {}, 0.0)
    j, p = _states(st, rate)
    slots = min(st.slots, len(st.rates))
    mu = np.asarray(st.rates)
    inside = np.minimum(j + 1, slots)  # requests in service once this one is in
    residence = inside / mu[(inside - 1).astype(int)]
    stretch = np.maximum(residence / st.mean_service, 1.0) if st.mean_service > 0 else np.ones_like(residence)
    queue = np.maximum(j - slots + 1, 0) / st.capacity
    k = st.variability(arrival)
    values, weights = [], []
    for service, share in st.services:
        values.append(service + k * (service * (stretch - 1) + queue))
        weights.append(share * p)
    flat, mass = np.concatenate(values), np.concatenate(weights)
    order = np.argsort(flat)
    cumulative = np.cumsum(mass[order])
    percentiles = {
        name: float(flat[order][min(np.searchsorted(cumulative, q * cumulative[-1]), len(flat) - 1)])
        for name, q in PERCENTILES.items()
    }
    busy = float(np.sum(np.minimum(j, slots) * p))
    waiting = k * float(np.sum(np.maximum(j - slots, 0) * p))
    # Little's law: the exact mean for Poisson arrivals and exponential service, scaled as the mixture is.
    beyond = float(np.sum(j * p)) / rate - st.mean_service
    return OpenPrediction(rate, st.capacity, st.mean_service + k * max(beyond, 0.0), percentiles, busy, waiting)


def metric_s(prediction: OpenPrediction, metric: str) -> float | None:
    """A predicted latency metric (avg_ms, p50_ms, ...) in seconds; None where it is unbounded."""
    if metric == "avg_ms":
        return prediction.latency_s
    return prediction.percentiles_s.get(metric)


def highest_rate(st: OpenStation, meets: dict[str, float], arrival: str = "constant") -> float:
    """The highest rate below capacity at which every predicted metric (avg_ms, p50_ms,
    p95_ms, p99_ms -> seconds it must stay under) holds; 0 if none does."""

    def ok(rate: float) -> bool:
        prediction = predict(st, rate, arrival)
        return all((v := metric_s(prediction, m)) is not None and v <= limit for m, limit in meets.items())

    low, high = 0.0, st.capacity
    if not math.isfinite(high) or high <= 0:
        return 0.0
    for _ in range(SEARCH_ITERATIONS):
        middle = (low + high) / 2
        low, high = (middle, high) if ok(middle) else (low, middle)
    return low
