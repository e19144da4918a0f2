"""How many requests a server config serves at once (its slots), and why:
what each server kind's entry (perfsuite.plan.kinds) says of its own model,
and the pools an app brings wherever it runs (pure functions).

sync: workers; gthread: workers x threads; gevent: workers x
worker_connections; event loops: unbounded, except where the app's sync
code runs in a pool: FastAPI/Starlette `def` routes (anyio's 40 threads
per worker, or what the module sets), Django under ASGI (sync views in a
thread per request: unbounded, one GIL per worker),
hypercorn serving WSGI (asyncio's default executor: min(32, cores + 4)
threads per worker), granian's WSGI interface (its blocking threads per
worker); a config's `slots:` overrides all of them.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass

from perfsuite.plan.appfacts import AppFacts
from perfsuite.plan.format import ServerConfig

ANYIO_THREADS = 40  # anyio.to_thread's default limiter: Starlette's run_in_threadpool
# Django's ASGIHandler enters asgiref's ThreadSensitiveContext per request (Django 3.2+, asgiref 3.3+), so
# each request's sync middleware and view run in a thread of their own: measured with Django 5.2 and
# uvicorn, a 35 ms view at 12 users ran 12 at once. Not read from the app: stated as an assumption.
# That thread is started per request and the loop blocks in each start (asgiref 3.13 starts a second to
# join it) until the new thread holds the GIL; every step hands the request between the loop and its
# thread. With 12 inside, that 35 ms view took 46-51 ms at 39-46% of the core (wrk, uvicorn 0.55): time
# neither its CPU nor its waits show, so its rate with j inside is measured, not solved.
DJANGO_ASGI = (
    "Django under ASGI runs each request's sync code in a thread of its own (assumed: asgiref's"
    " ThreadSensitiveContext per request, Django 3.2+): unbounded, one GIL per worker; its rate with"
    " 1, 2, 4, 8, ... requests inside measured by the probe (the hand-offs between the loop and each"
    " request's thread cost time its CPU does not show)"
)


class NoModel(Exception):
    """The model does not apply; the message says why."""


@dataclass(frozen=True)
class Slots:
    count: float  # math.inf: an event loop, unbounded
    source: str
    measured: bool = False  # its rate is not CPU and waits alone: the probe measures it (perfsuite.run.probe)


def executor_threads(server_cores: int) -> int:
    """asyncio's default executor: min(32, CPUs + 4); from Python 3.13 the CPUs
    the process may run on (its affinity), before that all of the machine's."""
    cpus = server_cores if sys.version_info >= (3, 13) else (os.cpu_count() or 1)
    return min(32, cpus + 4)


def setting(server: ServerConfig, flag: str, variable: str) -> int | None:
    """A whole-number option as a server takes it: the last `--flag N` or `--flag=N` in args:,
    else `env:`'s variable (NoModel if it is not a whole number)."""
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


def app_pool(app: AppFacts | None, paths: list[str], workers: int) -> Slots | None:
    """An ASGI app's own pool for sync code, if the mix runs in it (None: on the event loop)."""
    if app is None or app.framework is None:
        return None
    if app.framework == "django":
        return Slots(math.inf, DJANGO_ASGI, measured=True)
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
        threads, why = (app.thread_limit, "as the app sets it") if app.thread_limit else (ANYIO_THREADS, "default")
        return Slots(
            float(threads * workers),
            f"{app.framework} runs def routes in anyio's thread pool: {threads} threads per worker ({why})",
        )
    return None
