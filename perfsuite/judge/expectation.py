"""What a server config should achieve, by Little's law and queueing (pure functions).

Service time s of each mix entry, with its source:
  declared   the entry's `service_ms:`
  path       the suite's own apps only: the wait their paths name
             (`/slow?delay_ms=`, `/io/*`), plus the server's measured CPU
  probe      measured on the config's idle server before the load, one
             request at a time (perfsuite.run.probe)
weighted by how often each request was actually sent.

Slots S, the requests the config serves at once, with their source: each
server kind's entry models its own (perfsuite.plan.servers.slots,
perfsuite.plan.concurrency); a config's `slots:` overrides them.

Closed loop, U users (no think time): exact mean value analysis
(perfsuite.judge.mva) of the users cycling through two stations. Locust is a
CPU of its own (one core per generator process, its CPU per request Z
measured in the run): a queue as it nears full, not a fixed delay. The
server is a flow-equivalent station: its rate with j requests inside is
that of its inner network, min(j, S) requests each computing on the
server's cores (min(workers, cores): a GIL per process) and waiting (a
delay that holds the slot); beyond S, requests queue for a slot.
  X = the network's throughput at U users
  R = U / X - Z (what Locust measures: the server's time and Locust's queue)
  bound: the resource most used (loadgen, cpu, slots) from 90% up, else users
Open load at rate L (perfsuite.judge.openmodel), on the same station:
  capacity C = its rate with every slot busy; utilisation = L / C
  below C: X = L, latency from the station's birth-death process (exact for
  Poisson arrivals), scaled for evenly spaced arrivals and fixed service
  times (Allen-Cunneen); at or above C the queue grows without bound: X = C,
  latency unbounded. Locust's own rate (its cores over its CPU per request)
  below both: bound by the load generator.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

from perfsuite.judge.mva import Queue, Station, cores_rates, inner_throughput, solve
from perfsuite.judge.openmodel import highest_rate, predict, station
from perfsuite.plan.appfacts import AppFacts
from perfsuite.plan.concurrency import NoModel, Slots
from perfsuite.plan.format import MixEntry, ServerConfig
from perfsuite.record.results import ProbeResult

TOLERANCE = 0.10  # measured vs expected throughput beyond this is a mismatch
BOUND_FROM = 0.9  # a resource used this much bounds a closed loop; below, the users do
# An open generator at its limit keeps its core about 90% busy (it waits on its schedule and its sockets
# between sends): uvicorn at 8,840 req/s offered, 5,154 answered against 5,765 at 100% of its core.
GENERATOR_SHARE = 0.9
SLOW_DEFAULT_MS = 5000  # apps' /slow default
IO_DEFAULT_CALLS = 3


@dataclass(frozen=True)
class Service:
    seconds: float  # on an idle server
    source: str  # declared, path or probe
    plus_cpu: bool = False  # path: the wait only; the server's CPU per request is added


def wait_s(path: str, upstream_delay_ms: float | None) -> float:
    """Seconds a request to the suite's apps spends waiting (not computing)."""
    parts = urlsplit(path)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}

    def number(name: str, default: float) -> float:
        try:
            return float(query.get(name, default))
        except ValueError:
            raise NoModel(f"{path}: {name} is not a number") from None

    wait = _path_wait(parts.path, path, number, upstream_delay_ms)
    if not math.isfinite(wait) or wait < 0:
        raise NoModel(f"{path}: the wait it names is not a finite time")
    return wait


def _path_wait(route: str, path: str, number: Callable[[str, float], float], upstream_delay_ms: float | None) -> float:
    if route in ("/fast", "/json", "/cpu"):  # no wait: their cost is the CPU (see OWN_CPU_ONLY)
        return 0.0
    if route == "/slow":
        return number("delay_ms", SLOW_DEFAULT_MS) / 1000
    if route in ("/io/sequential", "/io/concurrent"):
        delay = number("delay_ms", 0) or upstream_delay_ms
        if not delay:
            raise NoModel(f"{path}: no upstream delay known")
        calls = number("calls", IO_DEFAULT_CALLS)
        return (calls if route == "/io/sequential" else 1) * delay / 1000
    raise NoModel(f"unknown endpoint {route}: its wait cannot be known")


# The suite's own paths name their wait, not what a request costs beyond the CPU (the loopback
# round trip, the worker's accept and reads: ~0.3 ms here, which put all.yaml's CPU-only runs at
# 0.70-0.74 of the model); an app measured by the probe includes it (a 5 ms CPU route: 0.94-0.97).
OWN_CPU_ONLY = (
    "the suite's own CPU-only paths (/fast, /json, /cpu) name no wait, and what a request costs beyond"
    " the CPU is not measured for them"
)


def service_of(
    entry: MixEntry, app: AppFacts | None, probe: ProbeResult | None, upstream_delay_ms: float | None
) -> Service:
    """An entry's service time: declared, else the suite's app's path, else the probe's."""
    if entry.service_ms is not None:
        return Service(entry.service_ms / 1000, "declared")
    if app is not None and app.own:
        return Service(wait_s(entry.path, upstream_delay_ms), "path", plus_cpu=True)
    measured = probe.entries.get(entry.name) if probe is not None else None
    if measured is None:
        raise NoModel(f"{entry.name}: no service time (not probed; declare service_ms:)")
    if not measured.samples:
        raise NoModel(f"{entry.name}: the probe got no good answer ({measured.failures} failed)")
    return Service(measured.service_ms / 1000, "probe")


@dataclass(frozen=True)
class Expectation:
    slots: float
    slots_source: str
    service_source: str
    wait_s: float
    cpu_s: float
    client_s: float
    service_s: float
    expected_rps: float
    expected_latency_ms: float | None  # None: overloaded, the latency grows without bound
    bound: str  # what limits it: "users", "rate", "slots", "cpu", "server" (a measured station) or "loadgen"
    capacity_rps: float
    utilisation: float | None = None
    loads: dict[str, float] | None = None  # closed loops: each resource's share in use
    waiting: float | None = None  # requests waiting for a slot, on average (None: unbounded slots)
    cores: int = 1  # the cores its workers can use (a GIL per process)
    objective_rps: float | None = None  # with a target: the highest rate its latencies allow (inf: no bound)
    service_cv: float = 0.0  # the mix's coefficient of variation of service time, over the requests sent

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["service_cv"]  # for the judge's tolerance (perfsuite.judge.assess), not a result
        if self.objective_rps is not None:
            data["objective_rps"] = None if math.isinf(self.objective_rps) else round(self.objective_rps, 3)
        data["slots"] = None if math.isinf(self.slots) else int(self.slots)
        data["capacity_rps"] = None if math.isinf(self.capacity_rps) else self.capacity_rps
        return data


@dataclass(frozen=True)
class Load:
    """Closed loop (users) or open (rate and arrival)."""

    users: int | None = None
    rate: float | None = None
    arrival: str = "constant"
    held: tuple[float, ...] = ()  # connections each worker held, measured (keep-alive pins users to one)


def worker_cores(server: ServerConfig, cores: int) -> int:
    """The cores a config's workers can use: a GIL per process, no more than it is pinned to."""
    return min(max(1, server.workers), max(cores, 1))


def _seconds(services: Mapping[str, tuple[Service, int]], cpu: float) -> dict[str, tuple[float, int]]:
    """Each entry's service time (with the CPU, where its source names the wait only) and requests."""
    return {name: (svc.seconds + (cpu if svc.plus_cpu else 0.0), n) for name, (svc, n) in services.items()}


def service_cv(seconds: Mapping[str, tuple[float, int]]) -> float:
    """The coefficient of variation of service time over the requests sent (entry -> (seconds,
    requests)): how far the mean of n of them strays, CV / sqrt(n), so how far a window's rate can."""
    total = sum(n for _, n in seconds.values())
    mean = sum(s * n for s, n in seconds.values()) / total if total else 0.0
    if mean <= 0:
        return 0.0
    return math.sqrt(sum(n * (s - mean) ** 2 for s, n in seconds.values()) / total) / mean


def _mean_service(services: Mapping[str, tuple[Service, int]], cpu: float) -> tuple[float, str]:
    total = sum(count for _, count in services.values())
    if not total:
        raise NoModel("no requests")
    mean = sum((svc.seconds + (cpu if svc.plus_cpu else 0.0)) * n for svc, n in services.values()) / total
    sources = sorted({svc.source for svc, n in services.values() if n})
    return mean, "+".join(sources)


def expect(
    server: ServerConfig,
    config_slots: Slots,
    services: Mapping[str, tuple[Service, int]],  # endpoint -> (service, requests actually sent)
    load: Load,
    cpu_s_per_request: float | None,
    cores: int,
    client_s_per_request: float | None = None,
    client_cores: int = 1,
    objective: tuple[Mapping[str, float], str] | None = None,
    inner: tuple[float, ...] | None = None,
) -> Expectation:
    """What the config should do under `load`; with an `objective` (latency metric -> seconds it
    must stay under, and the arrivals assumed), also the highest rate that meets it. `inner`: the
    server's rate with 1, 2, ... inside as the probe measured it (measured_station), in place of
    the one its CPU and waits give."""
    cpu = cpu_s_per_request or 0.0
    client = client_s_per_request or 0.0
    if not (math.isfinite(cpu) and math.isfinite(client)) or cpu < 0 or client < 0:
        raise NoModel(f"a CPU time per request that is not a time (server {cpu!r} s, Locust {client!r} s)")
    service, source = _mean_service(services, cpu)
    wait = max(service - cpu, 0.0)
    wait = 0.0 if wait < 1e-9 * service else wait  # the CPU alone, less a rounding residue
    if service <= 0:
        raise NoModel("no service time: neither waiting nor CPU per request is known")
    if wait <= 0 and source == "path":
        raise NoModel(OWN_CPU_ONLY)
    server_cores = worker_cores(server, cores)
    turns = sharing(server, config_slots.count, cores, services, cpu)
    rates = inner or server_rates(config_slots.count, cpu, wait, server_cores, turns)
    capacity = rates[-1] if rates else math.inf
    seconds = _seconds(services, cpu)
    meets = None if objective is None else objective_rate(rates, config_slots.count, seconds, *objective)

    def made(
        rps: float, latency: float | None, limit: str, utilisation: float | None = None, **more: Any
    ) -> Expectation:
        fields: dict[str, Any] = {
            "slots": config_slots.count,
            "slots_source": config_slots.source,
            "service_source": source,
            "wait_s": round(wait, 6),
            "cpu_s": round(cpu, 6),
            "client_s": round(client, 6),
            "service_s": round(service, 6),
            "expected_rps": round(rps, 4),
            "expected_latency_ms": latency,
            "bound": limit,
            "capacity_rps": round(capacity, 4),
            "utilisation": utilisation,
            "cores": server_cores,
            "objective_rps": meets,
            "service_cv": service_cv(seconds),
        }
        return Expectation(**{**fields, **more})

    if load.rate is not None:
        found = open_load(load, rates, config_slots.count, seconds, cpu, server_cores, client, client_cores, made)
        return replace(found, bound="server") if inner and found.bound == "slots" else found
    assert load.users is not None
    finite = not math.isinf(config_slots.count)
    held = pinned(load.users, load.held, server.workers) if finite and not inner else None  # measured: as a whole
    more: dict[str, Any] = {}
    waiting: float | None
    try:
        if held is not None:  # each worker serves the users whose connections it holds
            per_worker = config_slots.count / len(held)
            busy = sum(1 for u in held if u > 0)
            cores_each = min(1.0, server_cores / busy)  # a GIL each, and the cores shared by the busy ones
            rates_each = server_rates(per_worker, cpu, wait, cores_each, turns)
            parts = split_loops(held, rates_each, per_worker, cpu, cores_each, client, client_cores)
            rps = sum(x for x, _, _ in parts)
            waiting = round(sum(w or 0.0 for _, _, w in parts), 3)
            loads = shares(rps, cpu, server_cores, client, client_cores)
            loads["slots"] = round(sum(part["slots"] * per_worker for _, part, _ in parts) / config_slots.count, 4)
            shown = ", ".join(map(str, held))
            more["slots_source"] = f"{config_slots.source}; users held per worker (keep-alive): {shown}"
        else:
            station_rates = rates or inner_throughput(cpu, wait, server_cores, load.users)  # waits only: n / wait
            rps, loads, waiting = closed_loop(
                load.users, station_rates, config_slots.count, cpu, server_cores, client, client_cores
            )
    except ValueError as why:  # a network with no finite rate: say so, never a traceback
        raise NoModel(f"the model cannot be solved: {why}") from None
    if inner and station_full(inner):  # the measured station: how near its highest rate
        loads["server"] = round(rps / max(inner), 4)
    busiest = max(loads, key=lambda name: loads[name], default=None)
    limit = busiest if busiest is not None and loads[busiest] >= BOUND_FROM else "users"
    latency = round(1000 * (load.users / rps - client), 3)
    return made(rps, latency, limit, loads=loads, waiting=waiting, **more)


SPLIT_ROUNDS = 50  # fixed-point rounds for Locust's share among the per-worker loops


def split_loops(
    held: tuple[int, ...],
    rates: tuple[float, ...],
    slots: float,
    cpu: float,
    cores: float,
    client: float,
    client_cores: int,
) -> list[tuple[float, dict[str, float], float | None]]:
    """One closed loop per worker, of the users it holds. Locust serves them all: each loop
    sees it as a delay of its CPU per request stretched by its load (processor sharing,
    client / (1 - busy ** cores)), solved to a fixed point over the loops' total."""
    residence = client

    def loops() -> list[tuple[float, dict[str, float], float | None]]:
        # As many "cores" as users: Locust a delay of `residence` for each loop.
        return [closed_loop(u, rates, slots, cpu, cores, residence, float(u)) for u in held if u > 0]

    parts = loops()
    for _ in range(SPLIT_ROUNDS if client > 0 else 0):
        busy = min(sum(x for x, _, _ in parts) * client / client_cores, 0.999)
        stretched = client / (1 - busy**client_cores)
        if abs(stretched - residence) <= 1e-12 + 1e-9 * residence:
            break
        residence = stretched
        parts = loops()
    return parts


def pinned(users: int, connections: tuple[float, ...], workers: int) -> tuple[int, ...] | None:
    """Users per worker where each keeps its connection with the worker that accepted it:
    `users` shared out as the workers' measured connections are (largest remainders); None
    where that was not measured for every worker."""
    total = sum(connections)
    if workers < 2 or len(connections) != workers or total <= 0:
        return None
    shares = [users * c / total for c in connections]
    held = [math.floor(x) for x in shares]
    for i in sorted(range(workers), key=lambda i: held[i] - shares[i])[: users - sum(held)]:
        held[i] += 1
    return tuple(sorted(held, reverse=True))


def shares(rps: float, cpu: float, cores: float, client: float, client_cores: float) -> dict[str, float]:
    """The server's cores (cpu) and Locust's (loadgen) in use at `rps`: what each request costs them."""
    loads = {"cpu": round(rps * cpu / cores, 4)} if cpu > 0 else {}
    if client > 0:
        loads["loadgen"] = round(rps * client / client_cores, 4)
    return loads


def closed_loop(
    users: int, rates: tuple[float, ...], slots: float, cpu: float, cores: float, client: float, client_cores: float
) -> tuple[float, dict[str, float], float | None]:
    """Throughput of `users` cycling through Locust and the server's station (its `rates`
    with 1, 2, ... inside; mean value analysis), each resource's share in use: loadgen
    (its cores), cpu (the server's), slots; and the requests waiting for a slot."""
    stations: list[Station] = [Queue(rates)]
    if client > 0:
        stations.append(cores_rates(client, client_cores, math.ceil(min(users, client_cores))))
    solution = solve(stations, users, every=False)
    rps = solution.rate
    loads = shares(rps, cpu, cores, client, client_cores)
    if math.isinf(slots):
        return rps, loads, None
    busy = solution.busy(0, slots)
    loads["slots"] = round(busy / slots, 4)
    return rps, loads, round(solution.busy(0, math.inf) - busy, 3)


def sharing(
    server: ServerConfig, slots: float, cores: int, services: Mapping[str, tuple[Service, int]], cpu: float
) -> float:
    """How requests share a worker's CPU, for perfsuite.judge.mva.inner_throughput: 1 where
    the OS time-slices processes (a request per worker, or more workers than cores), else the
    mix's squared coefficient of variation of service time, at most 1: requests that take
    turns in one interpreter (threads under its GIL, greenlets, an event loop) each run
    their burst to the next wait, and bursts alike pipeline (0: one route of fixed times)."""
    workers = max(1, server.workers)
    if slots / workers <= 1 or workers > max(cores, 1):
        return 1.0
    seconds = [(s, n) for s, n in _seconds(services, cpu).values() if n]
    total = sum(n for _, n in seconds)
    mean = sum(s * n for s, n in seconds) / total if total else 0.0
    if mean <= 0:
        return 1.0
    return min(1.0, sum(n * (s - mean) ** 2 for s, n in seconds) / total / mean**2)


def measured_station(points: Sequence[tuple[int, float]]) -> tuple[float, ...] | None:
    """The rates at 1, 2, ... inside from the probe's (inside, rate) points. Between two counts the
    time a request spends inside (j / X_j, Little's law) is taken as straight, as it nearly is in
    a closed network, so the rates follow the curve where straight rates would cut under it;
    below the first count, that count's time; the last rate holds beyond (perfsuite.judge.mva.Queue).
    None without a rate above zero."""
    known = sorted(
        (inside, inside / rate) for inside, rate in points if inside >= 1 and rate > 0 and math.isfinite(rate)
    )
    if not known:
        return None
    rates = []
    for j in range(1, known[-1][0] + 1):
        upper = next(index for index, (inside, _) in enumerate(known) if inside >= j)
        high_j, high_r = known[upper]
        low_j, low_r = known[upper - 1] if upper else (0, high_r)
        inside_s = high_r if high_j == j else low_r + (high_r - low_r) * (j - low_j) / (high_j - low_j)
        rates.append(j / inside_s)
    return tuple(rates)


FULL_WITHIN = 1.05


def station_full(rates: tuple[float, ...]) -> bool:
    """Whether a measured station reached its highest rate: twice the requests inside, at the
    top count, added under 5% (else it was measured only as far as the runs need, still rising)."""
    return len(rates) >= 2 and rates[-1] < FULL_WITHIN * rates[len(rates) // 2 - 1]


MAX_INSIDE = 250_000  # an unbounded pool's rates are listed this far at most (the last then holds)


def server_rates(slots: float, cpu: float, wait: float, cores: float, turns: float = 1.0) -> tuple[float, ...]:
    """The server's rate with 1, 2, ... requests inside, up to its slots (its
    flow-equivalent station); empty: no bound (an unbounded pool that only waits)."""
    if math.isinf(slots):
        if cpu <= 0:
            return ()
        inside = min(MAX_INSIDE, math.ceil(4 * cores * (1 + wait / cpu)) + 16)  # near cores / cpu by then
    else:
        inside = min(int(slots), MAX_INSIDE)
    return inner_throughput(cpu, wait, cores, max(inside, 1), turns)


def open_load(
    load: Load,
    rates: tuple[float, ...],
    slots: float,
    seconds: Mapping[str, tuple[float, int]],  # each entry's service time and requests
    cpu: float,
    cores: int,
    client: float,
    client_cores: int,
    made: Callable[..., Expectation],
) -> Expectation:
    """Requests arriving at a rate (perfsuite.judge.openmodel): kept up with, or overloaded."""
    assert load.rate is not None
    capacity = rates[-1] if rates else math.inf
    generator = GENERATOR_SHARE * client_cores / client if client > 0 else math.inf
    bound = "cpu" if cpu > 0 and capacity * cpu / cores >= BOUND_FROM else "slots"
    if generator < min(load.rate, capacity):
        bound = "loadgen"
    utilisation = round(load.rate / capacity, 4)
    served = min(load.rate, capacity, generator)
    loads = shares(served, cpu, cores, client, client_cores)
    if min(load.rate, generator) >= capacity:  # what arrives outruns the server: the queue grows without bound
        if not math.isinf(slots):
            loads["slots"] = 1.0
        return made(served, None, bound, utilisation, loads=loads)
    limit = "loadgen" if bound == "loadgen" else "rate"  # the generator sends less than offered: at what it sends
    if not rates:  # waits only, no limit on slots: every request is served at once
        mean = sum(s * n for s, n in seconds.values()) / sum(n for _, n in seconds.values())
        return made(served, round(1000 * mean, 3), limit, utilisation, loads=loads)
    prediction = predict(station(rates, slots, seconds), served, load.arrival)
    waiting = None
    if not math.isinf(slots):
        loads["slots"] = round(prediction.busy_slots / slots, 4)
        waiting = round(prediction.waiting, 3)
    latency = None if prediction.latency_s is None else round(1000 * prediction.latency_s, 3)
    return made(served, latency, limit, utilisation, loads=loads, waiting=waiting)


def objective_rate(
    rates: tuple[float, ...],
    slots: float,
    seconds: Mapping[str, tuple[float, int]],  # each entry's service time and requests
    meets: Mapping[str, float],  # avg_ms, p50_ms, p95_ms, p99_ms -> seconds it must stay under
    arrival: str,
) -> float:
    """The highest rate at which the station's predicted latencies meet `meets` (inf: no bound
    the model knows; 0: none does)."""
    if not rates:  # waits only, as many at once as come: the latency is the service time at any rate
        slowest = max(s for s, n in seconds.values() if n)
        return math.inf if all(slowest <= limit for limit in meets.values()) else 0.0
    return highest_rate(station(rates, slots, seconds), dict(meets), arrival)
