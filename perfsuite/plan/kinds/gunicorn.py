"""gunicorn: a master and its workers (sync, gthread, gevent, uvicorn's
worker, or gunicorn's own asgi worker of gunicorn 24 and later)."""

from __future__ import annotations

import signal
from pathlib import Path

from perfsuite.plan.appcheck import ASGI, WSGI
from perfsuite.plan.appfacts import AppFacts
from perfsuite.plan.concurrency import Slots
from perfsuite.plan.format import ServerConfig
from perfsuite.plan.kinds.base import (
    LISTEN,
    READS_AHEAD,
    ServerKind,
    Version,
    chosen,
    python_module,
    recycling_argv,
)

WORKER_CLASSES = {
    "sync": "sync",
    "gthread": "gthread",
    "gevent": "gevent",
    "uvicorn": "uvicorn_worker.UvicornWorker",
    "asgi": "asgi",  # gunicorn's own (24+)
}
ASGI_WORKERS = ("uvicorn", "asgi")
# The module each worker class imports as a worker starts (gevent's imports gevent, and
# in gunicorn 27 `packaging`, which gunicorn does not declare): imported before anything starts.
WORKER_MODULES = {
    "sync": "gunicorn.workers.sync",
    "gthread": "gunicorn.workers.gthread",
    "gevent": "gunicorn.workers.ggevent",
    "uvicorn": "uvicorn_worker",
    "asgi": "gunicorn.workers.gasgi",
}
NO_GUNICORN_CONF = Path(__file__).with_name("no_gunicorn_conf.py")
CONTROL_SOCKET_FROM = (25, 1)  # gunicorn's control socket (and --no-control-socket) arrived in 25.1
DEFAULT_WORKER_CONNECTIONS = 1000
RECYCLE_FLAGS = ("--max-requests", "--max-requests-jitter")
# gunicorn's arbiter: SIGHUP starts new workers and stops the old gracefully; TTIN/TTOU add or remove
# one worker; a worker that dies is replaced. Each of these has been in every gunicorn the suite runs.
SIGNALS = {"reload": signal.SIGHUP, "scale+": signal.SIGTTIN, "scale-": signal.SIGTTOU}


def build_argv(config: ServerConfig, host: str, port: int, version: Version) -> list[str]:
    worker_class = config.worker_class or "sync"
    argv = [
        *python_module(config, "gunicorn"),
        # Only the declared settings: no gunicorn.conf.py from the working directory,
        # and no control socket shared with every gunicorn of this user ($HOME/.gunicorn).
        "--config",
        str(NO_GUNICORN_CONF),
        *(["--no-control-socket"] if (version("gunicorn") or (99,)) >= CONTROL_SOCKET_FROM else []),
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(config.workers),
        "--worker-class",
        WORKER_CLASSES[worker_class],
    ]
    if config.threads is not None:
        argv += ["--threads", str(config.threads)]
    if config.worker_connections is not None:
        argv += ["--worker-connections", str(config.worker_connections)]
    if config.asgi_loop is not None:
        argv += ["--asgi-loop", config.asgi_loop]
    if config.http_parser is not None:
        argv += ["--http-parser", config.http_parser]
    return [*argv, *recycling_argv(config, RECYCLE_FLAGS), *config.args, str(config.app)]


def serves(config: ServerConfig) -> frozenset[str]:
    return frozenset({ASGI if config.worker_class in ASGI_WORKERS else WSGI})


def slots(config: ServerConfig, app: AppFacts | None, paths: list[str], cores: int) -> Slots | None:
    workers, worker_class = config.workers, config.worker_class or "sync"
    if worker_class == "sync":
        return Slots(float(workers), "gunicorn sync: one request per worker")
    if worker_class == "gthread":
        threads = config.threads or 1
        return Slots(float(workers * threads), f"gunicorn gthread: {workers} workers x {threads} threads")
    if worker_class == "gevent":
        conns = config.worker_connections or DEFAULT_WORKER_CONNECTIONS
        return Slots(float(workers * conns), f"gunicorn gevent: {workers} workers x {conns} connections")
    return None  # uvicorn's or gunicorn's own asgi worker: an event loop


KIND = ServerKind(
    build_argv=build_argv,
    options=frozenset(
        {"worker_class", "threads", "worker_connections", "asgi_loop", "http_parser", "interface", *LISTEN}
    ),
    serves=serves,
    fix="use worker_class: asgi or uvicorn for an ASGI app; sync, gthread or gevent for a WSGI app",
    packages=("gunicorn", "uvicorn-worker", "gevent"),
    modules=("gunicorn", *WORKER_MODULES.values(), "uvloop"),
    needs=lambda config: (
        "gunicorn",
        WORKER_MODULES[config.worker_class or "sync"],
        *chosen(config.asgi_loop if config.worker_class == "asgi" else None),
    ),
    slots=slots,
    recycling=("--max-requests",),
    deploys=lambda config, do, version: None,  # every event and recycling setting, every worker class
    signals=SIGNALS,
    recycle_flags=RECYCLE_FLAGS,
    reload_resets_scale=True,  # its reload re-reads the config: the declared workers, whatever TTIN added
    # gunicorn's graceful stop (SIGTERM) of a gevent worker waits for idle
    # keep-alive connections, checking once a second (2.6 s here with
    # Locust's connections open); its quick stop (SIGINT) takes 0.3 s. The
    # suite stops a server only when nothing it measures is in flight.
    stop_signal=lambda c: signal.SIGINT if c.worker_class == "gevent" else signal.SIGTERM,
    # sync and gthread read a request once a worker or thread is free; gevent's slots are its connections.
    pins_connections=lambda c: (c.worker_class or "sync") != "sync",  # sync closes each connection after it
    queue_unseen=lambda c: None if (c.worker_class or "sync") in ("sync", "gthread", "gevent") else READS_AHEAD,
    owned={
        **dict.fromkeys(("-b", "--bind"), "host: and port:"),
        **dict.fromkeys(("-w", "--workers"), "workers:"),
        **dict.fromkeys(("-k", "--worker-class"), "worker_class:"),
        "--threads": "threads: (with worker_class: gthread; gunicorn turns sync into gthread above 1 thread)",
        "--worker-connections": "worker_connections:",
        "--asgi-loop": "asgi_loop:",
        "--http-parser": "http_parser:",
        **dict.fromkeys(("-c", "--config"), "the scenario's fields (a config file would override them)"),
        "--chdir": "app_dir:",
        "--pythonpath": "app_dir:, or PYTHONPATH in env:",
    },
    argparse=True,
    args_variable="GUNICORN_CMD_ARGS",
    requires={"threads": "gthread", "worker_connections": "gevent", "asgi_loop": "asgi"},
)
