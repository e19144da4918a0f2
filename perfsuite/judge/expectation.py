"""What a server config should achieve, by Little's law (pure functions).

For a steady run with U closed-loop users (no think time):
  slots S       sync: workers; gthread: workers x threads; gevent: workers x
                worker_connections; asyncio servers: unbounded
  service time  s = wait + cpu, where the wait per request comes from the mix
                (known from delay_ms, calls and order) weighted by how often
                each request was actually sent, and cpu is the server's
                measured CPU seconds per request
  client time   Z = Locust's measured CPU seconds per request: each user's
                cycle is s + Z
  throughput    X = min(U / (s + Z), S / s), and never more than the
                server's cores can do: min(processes, cores) / cpu
  latency       R = U / X - Z   (every user always has one request in flight)
These are asymptotic bounds: tight where waiting dominates. Where the
per-request CPU (server plus client) exceeds 10% of the wait, a 10% verdict
would be noise, and the model says so instead of judging.
Where the wait of a request cannot be known (custom locustfile, /cpu, an
unknown path) or the config's slots cannot be (granian's WSGI threads) the
model does not apply, and says why instead of guessing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from perfsuite.spec.format import ServerConfig

TOLERANCE = 0.10  # measured vs expected throughput beyond this is a mismatch
DOMINANCE = 0.10  # per-request CPU must be at most this share of the wait
GUNICORN_DEFAULT_WORKER_CONNECTIONS = 1000
SLOW_DEFAULT_MS = 5000  # apps' /slow default
IO_DEFAULT_CALLS = 3


class NoModel(Exception):
    """The model does not apply; the message says why."""


def slots(server: ServerConfig) -> float:
    """Requests the config can hold at once (math.inf: an event loop, unbounded)."""
    if server.server == "gunicorn":
        worker_class = server.worker_class or "sync"
        if worker_class == "sync":
            return float(server.workers)
        if worker_class == "gthread":
            return float(server.workers * (server.threads or 1))
        if worker_class == "gevent":
            return float(server.workers * (server.worker_connections or GUNICORN_DEFAULT_WORKER_CONNECTIONS))
        return math.inf  # uvicorn worker: asyncio
    if server.server == "external":
        raise NoModel("external server: the suite does not know its config")
    if server.server == "granian" and server.interface == "wsgi":
        raise NoModel("granian's WSGI interface has a thread pool whose size the model does not know")
    return math.inf


def wait_s(path: str, upstream_delay_ms: float | None) -> float:
    """Seconds a request to the suite's apps spends waiting (not computing)."""
    parts = urlsplit(path)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}

    def number(name: str, default: float) -> float:
        try:
            return float(query.get(name, default))
        except ValueError:
            raise NoModel(f"{path}: {name} is not a number") from None

    if parts.path in ("/fast", "/json"):
        return 0.0
    if parts.path == "/slow":
        return number("delay_ms", SLOW_DEFAULT_MS) / 1000
    if parts.path in ("/io/sequential", "/io/concurrent"):
        delay = number("delay_ms", 0) or upstream_delay_ms
        if not delay:
            raise NoModel(f"{path}: no upstream delay known")
        calls = number("calls", IO_DEFAULT_CALLS)
        return (calls if parts.path == "/io/sequential" else 1) * delay / 1000
    if parts.path == "/cpu":
        raise NoModel("CPU-bound mix: its cost is computation, not waiting")
    raise NoModel(f"unknown endpoint {parts.path}: its wait cannot be known")


@dataclass(frozen=True)
class Expectation:
    slots: float
    wait_s: float
    cpu_s: float
    client_s: float
    service_s: float
    expected_rps: float
    expected_latency_ms: float
    bound: str  # what limits it: "users", "slots" or "cpu"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["slots"] = None if math.isinf(self.slots) else int(self.slots)
        return data


def expect(
    server: ServerConfig,
    sent: Mapping[str, tuple[str, int]],  # endpoint -> (path, requests actually sent)
    users: int,
    upstream_delay_ms: float | None,
    cpu_s_per_request: float | None,
    cores: int,
    client_s_per_request: float | None = None,
) -> Expectation:
    total = sum(count for _, count in sent.values())
    if not total:
        raise NoModel("no requests")
    wait = sum(wait_s(path, upstream_delay_ms) * count for path, count in sent.values()) / total
    if wait <= 0:
        raise NoModel("no waiting in this mix: its throughput is CPU-bound")
    cpu = cpu_s_per_request or 0.0
    client = client_s_per_request or 0.0
    if cpu + client > DOMINANCE * wait:
        raise NoModel(
            f"waiting does not dominate: {1000 * (cpu + client):.2f} ms of CPU per request (server and Locust) "
            f"against {1000 * wait:.2f} ms of waiting, so the bound is not tight"
        )
    service = wait + cpu
    capacity = slots(server)
    by_users, by_slots = users / (service + client), capacity / service
    rps, bound = (by_users, "users") if by_users <= by_slots else (by_slots, "slots")
    processes = max(1, server.workers)
    if cpu > 0:
        cpu_ceiling = min(processes, max(cores, 1)) / cpu
        if cpu_ceiling < rps:
            rps, bound = cpu_ceiling, "cpu"
    return Expectation(
        slots=capacity,
        wait_s=round(wait, 6),
        cpu_s=round(cpu, 6),
        client_s=round(client, 6),
        service_s=round(service, 6),
        expected_rps=round(rps, 4),
        expected_latency_ms=round(1000 * (users / rps - client), 3),
        bound=bound,
    )
