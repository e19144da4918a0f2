"""granian: a Rust server for ASGI (default) or WSGI apps (`interface:`),
with its runtime's knobs."""

from __future__ import annotations

import shlex
import signal

from perfsuite.plan.appcheck import ASGI
from perfsuite.plan.appfacts import AppFacts
from perfsuite.plan.concurrency import Slots, app_pool, setting
from perfsuite.plan.format import ServerConfig
from perfsuite.plan.kinds.base import LISTEN, ServerKind, Version, at_least, listen, python_module

# granian 1.1 (PR #182) respawns its workers on SIGHUP; a worker that dies is replaced only with
# --respawn-failed-workers (without it granian exits); it has no signal to add or remove workers.
RELOAD_FROM = (1, 1)
RESPAWN = "--respawn-failed-workers"


def deploys(config: ServerConfig, do: str, version: Version) -> str | None:
    if do == "reload":
        return None if at_least(version, "granian", RELOAD_FROM) else "granian reloads on SIGHUP from 1.1; upgrade it"
    if do == "kill_worker":
        words = [*config.args, *shlex.split(config.env.get("GRANIAN_ARGS", ""))]
        told = RESPAWN in words or config.env.get("GRANIAN_RESPAWN_FAILED_WORKERS", "").lower() in ("1", "true")
        return None if told else f"granian exits when a worker dies unless told to replace it: add {RESPAWN} to args:"
    if do == "scale":
        return "granian has no signal to add or remove workers"
    return "granian recycles workers by age or memory (--workers-lifetime, --workers-max-rss in args:), not requests"


BACKLOG = 1024  # granian's default; backpressure = backlog / workers; WSGI threads = backpressure / 2


def build_argv(config: ServerConfig, host: str, port: int, version: Version) -> list[str]:
    argv = [*python_module(config, "granian"), "--interface", config.interface or ASGI, *listen(config, host, port)]
    for flag, value in (
        ("--loop", config.loop),
        ("--runtime-mode", config.runtime_mode),
        ("--runtime-threads", config.runtime_threads),
        ("--blocking-threads", config.blocking_threads),
        ("--backpressure", config.backpressure),
        ("--task-impl", config.task_impl),
    ):
        if value is not None:
            argv += [flag, str(value)]
    return [*argv, *(["--factory"] if config.factory else []), *config.args, config.app_target]


def backpressure(config: ServerConfig) -> int:
    """Requests a granian worker processes at once: as declared, else its backlog / workers."""
    if config.backpressure is not None:
        return config.backpressure
    backlog = max(128, setting(config, "--backlog", "GRANIAN_BACKLOG") or BACKLOG)
    return max(1, backlog // max(1, config.workers))


def slots(config: ServerConfig, app: AppFacts | None, paths: list[str], cores: int) -> Slots | None:
    workers = config.workers
    if (config.interface or "asgi") == "wsgi":
        threads = config.blocking_threads if config.blocking_threads is not None else max(1, backpressure(config) // 2)
        return Slots(float(workers * threads), f"granian WSGI: {workers} workers x {threads} blocking threads")
    if config.backpressure is not None:
        held = workers * config.backpressure
        pool = app_pool(app, paths, workers)
        if pool is not None and pool.count < held:
            return pool
        return Slots(float(held), f"granian: {workers} workers x backpressure {config.backpressure}")
    return None


KIND = ServerKind(
    build_argv=build_argv,
    options=frozenset(
        {
            "interface",
            "loop",
            "runtime_mode",
            "runtime_threads",
            "blocking_threads",
            "backpressure",
            "task_impl",
            *LISTEN,
        }
    ),
    serves=lambda c: frozenset({c.interface or ASGI}),
    fix="set interface: to the app's",
    packages=("granian",),
    modules=("granian",),
    slots=slots,
    recycling=("--workers-lifetime", "--workers-max-rss", "GRANIAN_WORKERS_LIFETIME", "GRANIAN_WORKERS_MAX_RSS"),
    owned={
        **dict.fromkeys(("--host", "--port", "--uds"), "host: and port:"),
        "--workers": "workers:",
        "--interface": "interface:",
        "--loop": "loop:",
        "--runtime-mode": "runtime_mode:",
        "--runtime-threads": "runtime_threads:",
        "--blocking-threads": "blocking_threads:",
        "--backpressure": "backpressure:",
        "--task-impl": "task_impl:",
        "--working-dir": "app_dir:",
        "--factory": "app: module:function() (a factory)",
    },
    option_prefix="GRANIAN_",
    deploys=deploys,
    signals={"reload": signal.SIGHUP},
    loops=("auto", "asyncio", "uvloop", "rloop"),
)
