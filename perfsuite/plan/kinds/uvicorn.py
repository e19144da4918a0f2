"""uvicorn: an ASGI server (WSGI when told: --interface wsgi), one process
or a manager and its workers."""

from __future__ import annotations

from perfsuite.plan.appcheck import ASGI, WSGI
from perfsuite.plan.appfacts import AppFacts
from perfsuite.plan.concurrency import Slots
from perfsuite.plan.format import ServerConfig
from perfsuite.plan.kinds.base import LISTEN, ServerKind, Version, called, chosen, listen, python_module

WSGI_THREADS = 10  # uvicorn's WSGIMiddleware: a ThreadPoolExecutor of 10 per worker


def build_argv(config: ServerConfig, host: str, port: int, version: Version) -> list[str]:
    argv = [*python_module(config, "uvicorn"), *called(config), *listen(config, host, port), "--no-access-log"]
    if config.loop is not None:
        argv += ["--loop", config.loop]
    if config.http is not None:
        argv += ["--http", config.http]
    return [*argv, *config.args]


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
