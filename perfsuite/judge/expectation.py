"""What a server config should achieve, by Little's law and queueing (pure functions).

Service time s of each mix entry, with its source:
  declared   the entry's `service_ms:`
  path       the suite's own apps only: the wait their paths name
             (`/slow?delay_ms=`, `/io/*`), plus the server's measured CPU
  probe      measured on the config's idle server before the load, one
             request at a time (perfsuite.run.probe)
weighted by how often each request was actually sent.

Slots S, the requests the config serves at once, with their source:
  sync: workers; gthread: workers x threads; gevent: workers x
  worker_connections; event loops: unbounded, except where the app's sync
  code runs in a pool: FastAPI/Starlette `def` routes (anyio's 40 threads
  per worker), Django under ASGI (sync views in one thread per worker),
  hypercorn serving WSGI (asyncio's default executor: min(32, cores + 4)
  threads per worker), granian's WSGI interface (its blocking threads per
  worker); a config's `slots:` overrides all of them.

Closed loop, U users (no think time), client time Z (Locust's CPU per request):
  X = min(U / (s + Z), S / s), never above min(workers, cores) / cpu
  R = U / X - Z
Open load at rate L:
  capacity C = min(S / s, min(workers, cores) / cpu); utilisation = L / C
  below C: X = L, latency = s (constant arrivals), plus the queueing wait
  of M/D/c for Poisson arrivals (Erlang C, halved for a fixed service time);
  at or above C the queue grows without bound: X = C, latency unbounded.
These are asymptotic bounds, tight where waiting dominates: where the CPU
per request (server and Locust) exceeds 10% of the wait in a closed loop, a
10% verdict would be noise, and the model says so instead of judging.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from perfsuite.plan.appcheck import WSGI
from perfsuite.plan.appfacts import AppFacts
from perfsuite.plan.format import MixEntry, ServerConfig
from perfsuite.plan.servers import serves
from perfsuite.record.results import ProbeResult

TOLERANCE = 0.10  # measured vs expected throughput beyond this is a mismatch
DOMINANCE = 0.10  # per-request CPU must be at most this share of the wait
GUNICORN_DEFAULT_WORKER_CONNECTIONS = 1000
ANYIO_THREADS = 40  # anyio.to_thread's default limiter: Starlette's run_in_threadpool
UVICORN_WSGI_THREADS = 10  # uvicorn's WSGIMiddleware: a ThreadPoolExecutor of 10 per worker
UNBOUNDED_FROM = 10_000  # slots from which the queueing term is taken as an unbounded pool's (none)
GRANIAN_BACKLOG = 1024  # granian's default; backpressure = backlog / workers; WSGI threads = backpressure / 2
SLOW_DEFAULT_MS = 5000  # apps' /slow default
IO_DEFAULT_CALLS = 3


class NoModel(Exception):
    """The model does not apply; the message says why."""


@dataclass(frozen=True)
class Slots:
    count: float  # math.inf: an event loop, unbounded
    source: str


@dataclass(frozen=True)
class Service:
    seconds: float  # on an idle server
    source: str  # declared, path or probe
    plus_cpu: bool = False  # path: the wait only; the server's CPU per request is added


def executor_threads(server_cores: int) -> int:
    """asyncio's default executor: min(32, CPUs + 4); from Python 3.13 the CPUs
    the process may run on (its affinity), before that all of the machine's."""
    cpus = server_cores if sys.version_info >= (3, 13) else (os.cpu_count() or 1)
    return min(32, cpus + 4)


def _setting(server: ServerConfig, flag: str, variable: str) -> int | None:
    """A granian option as the server would take it: the last `--flag N` or `--flag=N`, else `env:`'s variable."""
    text = None
    for index, arg in enumerate(server.args):
        if arg.startswith(flag + "="):
            text = arg.partition("=")[2]
        elif arg == flag and index + 1 < len(server.args):
            text = server.args[index + 1]
    text = text if text is not None else server.env.get(variable)
    try:
        return int(text) if text is not None else None
    except ValueError:
        raise NoModel(f"{flag} {text!r} is not a whole number") from None


def _granian_backpressure(server: ServerConfig) -> int:
    """Requests a granian worker processes at once: as declared, else its backlog / workers."""
    if server.backpressure is not None:
        return server.backpressure
    backlog = max(128, _setting(server, "--backlog", "GRANIAN_BACKLOG") or GRANIAN_BACKLOG)
    return max(1, backlog // max(1, server.workers))


def _granian_wsgi_threads(server: ServerConfig) -> int:
    if server.blocking_threads is not None:
        return server.blocking_threads
    return max(1, _granian_backpressure(server) // 2)


def _pool_for_paths(app: AppFacts | None, paths: list[str], workers: int) -> Slots | None:
    """An ASGI app's own pool for sync code, if the mix runs in it (None: on the event loop)."""
    if app is None or app.framework is None:
        return None
    if app.framework == "django":
        return Slots(float(workers), "Django runs sync views under ASGI in one thread per worker")
    routes = [app.route_for(path) for path in paths]
    unknown = [path for path, route in zip(paths, routes, strict=True) if route is None]
    sync = [route for route in routes if route is not None and not route.is_async]
    if unknown:  # a router in another module, a Route(...) list: whether it is def or async def is not known
        raise NoModel(
            f"{unknown[0]}: no route of {app.framework} found for it, so whether it runs in the thread pool"
            " is unknown; declare slots: on the server"
        )
    if sync and len(sync) < len(routes):
        raise NoModel("the mix calls both def routes (in a thread pool) and async def routes; declare slots:")
    if sync:
        return Slots(
            float(ANYIO_THREADS * workers),
            f"{app.framework} runs def routes in anyio's thread pool: {ANYIO_THREADS} threads per worker",
        )
    return None


def slots(server: ServerConfig, app: AppFacts | None = None, paths: list[str] | None = None, cores: int = 1) -> Slots:
    """Requests the config can serve at once, and why."""
    workers = server.workers
    if server.slots is not None:
        return Slots(float(server.slots), "declared (slots:)")
    if server.server == "external":
        raise NoModel("external server: the suite does not know its config; declare slots: to model it")
    interface = server.interface or (app.interface if app else None)
    if server.server == "gunicorn":
        worker_class = server.worker_class or "sync"
        if worker_class == "sync":
            return Slots(float(workers), "gunicorn sync: one request per worker")
        if worker_class == "gthread":
            threads = server.threads or 1
            return Slots(float(workers * threads), f"gunicorn gthread: {workers} workers x {threads} threads")
        if worker_class == "gevent":
            conns = server.worker_connections or GUNICORN_DEFAULT_WORKER_CONNECTIONS
            return Slots(float(workers * conns), f"gunicorn gevent: {workers} workers x {conns} connections")
    if server.server == "granian" and (server.interface or "asgi") == "wsgi":
        threads = _granian_wsgi_threads(server)
        return Slots(float(workers * threads), f"granian WSGI: {workers} workers x {threads} blocking threads")
    if server.server == "granian" and server.backpressure is not None:
        held = workers * server.backpressure
        pool = _pool_for_paths(app, paths or [], workers)
        if pool is not None and pool.count < held:
            return pool
        return Slots(float(held), f"granian: {workers} workers x backpressure {server.backpressure}")
    if server.server == "hypercorn" and interface == "wsgi":
        threads = executor_threads(cores)
        return Slots(
            float(workers * threads), f"hypercorn WSGI: asyncio's default executor, {threads} threads per worker"
        )
    if server.server == "hypercorn" and interface is None:
        raise NoModel("hypercorn: the app's interface is not plain from its source (WSGI runs in a thread pool);"
                      " declare interface:")  # fmt: skip
    if server.server == "uvicorn" and WSGI in serves(server):
        return Slots(float(workers * UVICORN_WSGI_THREADS), f"uvicorn WSGI: {UVICORN_WSGI_THREADS} threads per worker")
    pool = _pool_for_paths(app, paths or [], workers)
    return pool or Slots(math.inf, "event loop: unbounded")


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
    if route in ("/fast", "/json"):
        return 0.0
    if route == "/slow":
        return number("delay_ms", SLOW_DEFAULT_MS) / 1000
    if route in ("/io/sequential", "/io/concurrent"):
        delay = number("delay_ms", 0) or upstream_delay_ms
        if not delay:
            raise NoModel(f"{path}: no upstream delay known")
        calls = number("calls", IO_DEFAULT_CALLS)
        return (calls if route == "/io/sequential" else 1) * delay / 1000
    if route == "/cpu":
        raise NoModel("CPU-bound mix: its cost is computation, not waiting")
    raise NoModel(f"unknown endpoint {route}: its wait cannot be known")


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
    bound: str  # what limits it: "users", "rate", "slots" or "cpu"
    capacity_rps: float
    utilisation: float | None = None

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
) -> Expectation:
    cpu = cpu_s_per_request or 0.0
    client = client_s_per_request or 0.0
    service, source = _mean_service(services, cpu)
    wait = max(service - cpu, 0.0)
    if service <= 0 or (wait <= 0 and load.rate is None):
        raise NoModel("no waiting in this mix: its throughput is CPU-bound")
    if load.rate is None and cpu + client > DOMINANCE * wait:
        raise NoModel(
            f"waiting does not dominate: {1000 * (cpu + client):.2f} ms of CPU per request (server and Locust) "
            f"against {1000 * wait:.2f} ms of waiting, so the bound is not tight"
        )
    capacity, bound = config_slots.count / service, "slots"
    if cpu > 0:
        cpu_ceiling = min(max(1, server.workers), max(cores, 1)) / cpu
        if cpu_ceiling < capacity:
            capacity, bound = cpu_ceiling, "cpu"
    common = {
        "slots": config_slots.count,
        "slots_source": config_slots.source,
        "service_source": source,
        "wait_s": round(wait, 6),
        "cpu_s": round(cpu, 6),
        "client_s": round(client, 6),
        "service_s": round(service, 6),
        "capacity_rps": round(capacity, 4),
    }
    if load.rate is not None:
        utilisation = load.rate / capacity
        if utilisation < 1:
            queue = queue_wait_s(load.rate, service, config_slots.count, load.arrival) if bound == "slots" else 0.0
            if bound == "cpu" and load.arrival == "poisson":  # M/D/1 on the CPU
                queue = utilisation / (2 * capacity * (1 - utilisation))
            latency: float | None = round(1000 * (service + queue), 3)
            rps, bound = load.rate, "rate"
        else:
            latency, rps = None, capacity
        return Expectation(
            **common,
            expected_rps=round(rps, 4),
            expected_latency_ms=latency,
            bound=bound,
            utilisation=round(utilisation, 4),
        )
    assert load.users is not None
    by_users = load.users / (service + client)
    rps, bound = (by_users, "users") if by_users <= capacity else (capacity, bound)
    return Expectation(
        **common,
        expected_rps=round(rps, 4),
        expected_latency_ms=round(1000 * (load.users / rps - client), 3),
        bound=bound,
    )
