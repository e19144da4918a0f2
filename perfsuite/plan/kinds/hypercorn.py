"""hypercorn: ASGI natively, WSGI through asyncio's default executor."""

from __future__ import annotations

import signal

from perfsuite.plan.appfacts import AppFacts
from perfsuite.plan.concurrency import NoModel, Slots, executor_threads
from perfsuite.plan.format import ServerConfig
from perfsuite.plan.kinds.base import BOTH, LISTEN, ServerKind, Version, chosen, python_module, recycling_argv

RECYCLE_FLAGS = ("--max-requests", "--max-requests-jitter")


def deploys(config: ServerConfig, do: str, version: Version) -> str | None:
    """hypercorn's SIGHUP stops every worker, then starts new ones (not one at a time); when a worker
    dies hypercorn stops whole; it has no signal to add or remove workers."""
    if do == "kill_worker":
        return "hypercorn stops the whole server when a worker dies (it does not replace it)"
    if do == "scale":
        return "hypercorn has no signal to add or remove workers"
    return None


def build_argv(config: ServerConfig, host: str, port: int, version: Version) -> list[str]:
    argv = [*python_module(config, "hypercorn"), "--bind", f"{host}:{port}", "--workers", str(config.workers)]
    if config.loop is not None:
        argv += ["--worker-class", config.loop]
    return [*argv, *recycling_argv(config, RECYCLE_FLAGS), *config.args, str(config.app)]


def slots(config: ServerConfig, app: AppFacts | None, paths: list[str], cores: int) -> Slots | None:
    interface = config.interface or (app.interface if app else None)
    if interface == "wsgi":
        threads = executor_threads(cores)
        return Slots(
            float(config.workers * threads), f"hypercorn WSGI: asyncio's default executor, {threads} threads per worker"
        )
    if interface is None:
        raise NoModel(
            "hypercorn: the app's interface is not plain from its source (WSGI runs in a thread pool);"
            " declare interface:"
        )
    return None


KIND = ServerKind(
    build_argv=build_argv,
    options=frozenset({"loop", "interface", *LISTEN}),
    serves=lambda _: BOTH,
    fix="",
    packages=("hypercorn",),
    modules=("hypercorn", "hypercorn.asyncio", "uvloop"),
    needs=lambda config: ("hypercorn", "hypercorn.asyncio", *chosen(config.loop)),
    slots=slots,
    recycling=("--max-requests",),
    deploys=deploys,
    signals={"reload": signal.SIGHUP},
    recycle_flags=RECYCLE_FLAGS,
    owned={
        **dict.fromkeys(("-b", "--bind", "--insecure-bind", "--quic-bind"), "host: and port:"),
        **dict.fromkeys(("-w", "--workers"), "workers:"),
        **dict.fromkeys(("-k", "--worker-class"), "loop:"),
        **dict.fromkeys(("-c", "--config"), "the scenario's fields (a config file would override them)"),
    },
    argparse=True,
    loops=("asyncio", "uvloop"),
)
