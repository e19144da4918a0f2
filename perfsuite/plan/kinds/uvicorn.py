"""uvicorn: an ASGI server (WSGI when told: --interface wsgi), one process
or a manager and its workers."""

from __future__ import annotations

import signal

from perfsuite.plan.appcheck import ASGI, WSGI
from perfsuite.plan.appfacts import AppFacts
from perfsuite.plan.concurrency import Slots
from perfsuite.plan.format import ServerConfig
from perfsuite.plan.kinds.base import (
    LISTEN,
    ServerKind,
    Version,
    at_least,
    called,
    chosen,
    listen,
    python_module,
    recycling_argv,
)

WSGI_THREADS = 10  # uvicorn's WSGIMiddleware: a ThreadPoolExecutor of 10 per worker
RECYCLE_FLAGS = ("--limit-max-requests", "--limit-max-requests-jitter")
# uvicorn's multiprocess manager (0.30, with --workers 2 or more): SIGHUP restarts the workers (one at a
# time, each replacement up before the old one stops, from 0.51), SIGTTIN/SIGTTOU add or remove one, and a
# dead worker is replaced (checked every half second). One process (--workers 1) has no manager.
SIGNALS = {"reload": signal.SIGHUP, "scale+": signal.SIGTTIN, "scale-": signal.SIGTTOU}
MANAGER_FROM = (0, 30)
JITTER_FROM = (0, 41)


def deploys(config: ServerConfig, do: str, version: Version) -> str | None:
    what = "restart a worker at max_requests" if do.startswith("max_requests") else do.replace("_", " ")
    if config.workers < 2:
        return f"uvicorn with one worker has no manager to {what} (it exits instead): declare workers: 2 or more"
    if not at_least(version, "uvicorn", MANAGER_FROM):
        return f"uvicorn's manager handles signals and replaces workers from 0.30; upgrade uvicorn to {what}"
    if do == "max_requests_jitter" and not at_least(version, "uvicorn", JITTER_FROM):
        return "uvicorn has --limit-max-requests-jitter from 0.41; upgrade uvicorn"
    return None


def build_argv(config: ServerConfig, host: str, port: int, version: Version) -> list[str]:
    argv = [*python_module(config, "uvicorn"), *called(config), *listen(config, host, port), "--no-access-log"]
    if config.loop is not None:
        argv += ["--loop", config.loop]
    if config.http is not None:
        argv += ["--http", config.http]
    return [*argv, *recycling_argv(config, RECYCLE_FLAGS), *config.args]


def serves(config: ServerConfig) -> frozenset[str]:
    # uvicorn serves WSGI only when told (`--interface wsgi`); its auto mode takes any app for ASGI.
    told = None
    for position, arg in enumerate(config.args):
        if arg == "--interface" and position + 1 < len(config.args):
            told = config.args[position + 1]
        elif arg.startswith("--interface="):
            told = arg.split("=", 1)[1]
    return frozenset({WSGI}) if told == WSGI else frozenset({ASGI})


def slots(config: ServerConfig, app: AppFacts | None, paths: list[str], cores: int) -> Slots | None:
    if WSGI in serves(config):
        return Slots(float(config.workers * WSGI_THREADS), f"uvicorn WSGI: {WSGI_THREADS} threads per worker")
    return None


KIND = ServerKind(
    build_argv=build_argv,
    options=frozenset({"loop", "http", "interface", *LISTEN}),
    serves=serves,
    fix="for a WSGI app use gunicorn, hypercorn, or granian with interface: wsgi",
    packages=("uvicorn", "uvloop", "httptools"),
    modules=("uvicorn", "uvloop", "httptools"),
    needs=lambda config: ("uvicorn", *chosen(config.loop, config.http)),
    slots=slots,
    recycling=("--limit-max-requests",),
    deploys=deploys,
    signals=SIGNALS,
    recycle_flags=RECYCLE_FLAGS,
    owned={
        **dict.fromkeys(("--host", "--port", "--uds", "--fd"), "host: and port:"),
        "--workers": "workers:",
        "--loop": "loop:",
        "--http": "http:",
        "--app-dir": "app_dir:",
        "--factory": "app: module:function() (a factory)",
    },
    option_prefix="UVICORN_",
    loops=("auto", "asyncio", "uvloop"),
)
