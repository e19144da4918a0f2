"""hypercorn: ASGI natively, WSGI through asyncio's default executor."""

from __future__ import annotations

from perfsuite.plan.appfacts import AppFacts
from perfsuite.plan.concurrency import NoModel, Slots, executor_threads
from perfsuite.plan.format import ServerConfig
from perfsuite.plan.kinds.base import BOTH, LISTEN, ServerKind, Version, chosen, python_module


def build_argv(config: ServerConfig, host: str, port: int, version: Version) -> list[str]:
    argv = [*python_module(config, "hypercorn"), "--bind", f"{host}:{port}", "--workers", str(config.workers)]
    if config.loop is not None:
        argv += ["--worker-class", config.loop]
    return [*argv, *config.args, str(config.app)]


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
    owned={
        **dict.fromkeys(("-b", "--bind", "--insecure-bind", "--quic-bind"), "host: and port:"),
        **dict.fromkeys(("-w", "--workers"), "workers:"),
        **dict.fromkeys(("-k", "--worker-class"), "loop:"),
        **dict.fromkeys(("-c", "--config"), "the scenario's fields (a config file would override them)"),
    },
    argparse=True,
    loops=("asyncio", "uvloop"),
)
