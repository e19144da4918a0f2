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
Open load at rate L:
  capacity C = min(S / s, min(workers, cores) / cpu); utilisation = L / C
  below C: X = L, latency = s (constant arrivals), plus the queueing wait
  of M/D/c for Poisson arrivals (Erlang C, halved for a fixed service time);
  at or above C the queue grows without bound: X = C, latency unbounded.
The open-load capacity is the asymptotic bound of the same inner network.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from perfsuite.judge.mva import Queue, Station, cores_rates, inner_throughput, solve
from perfsuite.plan.appfacts import AppFacts
from perfsuite.plan.concurrency import NoModel, Slots
from perfsuite.plan.format import MixEntry, ServerConfig
from perfsuite.record.results import ProbeResult

TOLERANCE = 0.10  # measured vs expected throughput beyond this is a mismatch
BOUND_FROM = 0.9  # a resource used this much bounds a closed loop; below, the users do
UNBOUNDED_FROM = 10_000  # slots from which the queueing term is taken as an unbounded pool's (none)
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
    bound: str  # what limits it: "users", "rate", "slots", "cpu" or "loadgen"
    capacity_rps: float
    utilisation: float | None = None
    loads: dict[str, float] | None = None  # closed loops: each resource's share in use

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["slots"] = None if math.isinf(self.slots) else int(self.slots)
        data["capacity_rps"] = None if math.isinf(self.capacity_rps) else self.capacity_rps
        return data


def erlang_c(servers: int, offered: float) -> float:
    """The chance an arrival waits in M/M/c (c servers, offered load a = L s < c)."""
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = offered * blocking / (k + offered * blocking)
    utilisation = offered / servers
    return blocking / (1 - utilisation * (1 - blocking))


def queue_wait_s(rate: float, service: float, servers: float, arrival: str) -> float:
    """Mean wait before service: none for constant arrivals below capacity;
    M/D/c for Poisson arrivals (Erlang C's M/M/c wait, halved: a fixed service time)."""
    if arrival != "poisson" or servers >= UNBOUNDED_FROM or rate <= 0:
        return 0.0
    c = int(servers)
    offered = rate * service
    if offered >= c:
        return math.inf
    return erlang_c(c, offered) * service / (c - offered) / 2


@dataclass(frozen=True)
class Load:
    """Closed loop (users) or open (rate and arrival)."""

    users: int | None = None
    rate: float | None = None
    arrival: str = "constant"


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
) -> Expectation:
    cpu = cpu_s_per_request or 0.0
    client = client_s_per_request or 0.0
    if not (math.isfinite(cpu) and math.isfinite(client)) or cpu < 0 or client < 0:
        raise NoModel(f"a CPU time per request that is not a time (server {cpu!r} s, Locust {client!r} s)")
    service, source = _mean_service(services, cpu)
    wait = max(service - cpu, 0.0)
    if service <= 0:
        raise NoModel("no service time: neither waiting nor CPU per request is known")
    if wait <= 0 and source == "path":
        raise NoModel(OWN_CPU_ONLY)
    server_cores = min(max(1, server.workers), max(cores, 1))
    capacity, bound = config_slots.count / service, "slots"
    if cpu > 0:
        cpu_ceiling = server_cores / cpu
        if cpu_ceiling < capacity:
            capacity, bound = cpu_ceiling, "cpu"

    def made(
        rps: float, latency: float | None, limit: str, utilisation: float | None = None, **more: Any
    ) -> Expectation:
        return Expectation(
            slots=config_slots.count,
            slots_source=config_slots.source,
            service_source=source,
            wait_s=round(wait, 6),
            cpu_s=round(cpu, 6),
            client_s=round(client, 6),
            service_s=round(service, 6),
            expected_rps=round(rps, 4),
            expected_latency_ms=latency,
            bound=limit,
            capacity_rps=round(capacity, 4),
            utilisation=utilisation,
            **more,
        )

    if load.rate is not None:
        utilisation = load.rate / capacity
        if utilisation >= 1:  # the queue grows without bound
            return made(capacity, None, bound, round(utilisation, 4))
        queue = queue_wait_s(load.rate, service, config_slots.count, load.arrival) if bound == "slots" else 0.0
        if bound == "cpu" and load.arrival == "poisson":  # M/D/1 on the CPU
            queue = utilisation / (2 * capacity * (1 - utilisation))
        return made(load.rate, round(1000 * (service + queue), 3), "rate", round(utilisation, 4))
    assert load.users is not None
    try:
        rps, loads = closed_loop(load.users, config_slots.count, cpu, wait, server_cores, client, client_cores)
    except ValueError as why:  # a network with no finite rate: say so, never a traceback
        raise NoModel(f"the model cannot be solved: {why}") from None
    busiest = max(loads, key=lambda name: loads[name], default=None)
    limit = busiest if busiest is not None and loads[busiest] >= BOUND_FROM else "users"
    return made(rps, round(1000 * (load.users / rps - client), 3), limit, loads=loads)


def closed_loop(
    users: int, slots: float, cpu: float, wait: float, cores: int, client: float, client_cores: int
) -> tuple[float, dict[str, float]]:
    """Throughput of `users` cycling through Locust and the server (mean value analysis),
    and each resource's share in use: loadgen (its cores), cpu (the server's), slots."""
    inside = int(min(slots, users))
    fes = Queue(inner_throughput(cpu, wait, cores, inside))
    stations: list[Station] = [fes]
    if client > 0:
        stations.append(cores_rates(client, client_cores, min(users, client_cores)))
    solution = solve(stations, users, every=False)
    rps = solution.rate
    loads = {"cpu": round(rps * cpu / cores, 4)} if cpu > 0 else {}
    if client > 0:
        loads["loadgen"] = round(rps * client / client_cores, 4)
    if not math.isinf(slots):
        loads["slots"] = round(solution.busy(0, slots) / slots, 4)
    return rps, loads
