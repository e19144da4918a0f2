"""What a server kind's entry holds, and the pieces its argv builders share."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from perfsuite.plan.appcheck import ASGI, WSGI
from perfsuite.plan.appfacts import AppFacts
from perfsuite.plan.concurrency import Slots
from perfsuite.plan.format import ServerConfig

BOTH = frozenset({ASGI, WSGI})
LISTEN = frozenset({"host", "port"})  # where a server the suite starts listens

Version = Callable[[str], tuple[int, ...] | None]  # a package's version in the config's interpreter
ArgvBuilder = Callable[[ServerConfig, str, int, Version], list[str]]
SlotsModel = Callable[[ServerConfig, AppFacts | None, list[str], int], Slots | None]


def _sigterm(_: ServerConfig) -> signal.Signals:
    return signal.SIGTERM


READS_AHEAD = "it reads each request as it arrives, so requests wait for a slot inside it, unseen by the kernel"


def _reads_ahead(_: ServerConfig) -> str | None:
    return READS_AHEAD


@dataclass(frozen=True)
class ServerKind:
    """One server kind, whole: how it starts, what it takes and refuses, what it
    serves, how it stops, what it is made of, and how many requests it holds."""

    build_argv: ArgvBuilder | None  # (config, host, port, version) -> argv; None: the suite does not start it
    options: frozenset[str]  # the optional settings of the scenario format this kind accepts
    serves: Callable[[ServerConfig], frozenset[str]]  # the app interfaces a config can serve
    fix: str  # what to change when the app's interface does not fit
    packages: tuple[str, ...]  # its distributions, its own first: versions recorded, compared and shown
    modules: tuple[str, ...]  # every module a config of it may import as it starts (imported by the check)
    slots: SlotsModel  # requests a config serves at once, and why; None: an event loop (the app's pools apply)
    needs: Callable[[ServerConfig], tuple[str, ...]] | None = None  # of `modules`, what a config imports (all)
    recycling: tuple[str, ...] = ()  # options (or env variables) that restart workers on purpose
    stop_signal: Callable[[ServerConfig], signal.Signals] = _sigterm  # starts its stop (then grace, SIGKILL)
    # Flags the suite sets from declared fields (or must own), -> the field to declare instead.
    owned: dict[str, str] = field(default_factory=dict)
    # How else the server takes options: argparse (abbreviated long options, clustered
    # short ones), an environment variable of arguments, environment variables per option.
    argparse: bool = False
    args_variable: str | None = None
    option_prefix: str | None = None
    loops: tuple[str, ...] = ()  # its `loop:` choices
    requires: dict[str, str] = field(default_factory=dict)  # option -> the worker_class it needs
    # Why the kernel cannot show a config's queue (None: it can; requests wait there for a slot).
    queue_unseen: Callable[[ServerConfig], str | None] = _reads_ahead
    # Whether a client's keep-alive connection stays with the worker that accepted it (its requests
    # then wait for that worker's slots only): HTTP/1.1 servers keep connections open unless they close.
    pins_connections: Callable[[ServerConfig], bool] = lambda _: True

    def modules_for(self, config: ServerConfig) -> tuple[str, ...]:
        return self.needs(config) if self.needs is not None else self.modules


def chosen(*choices: str | None) -> tuple[str, ...]:
    """The modules a config's choices of loop and parser import (uvloop, httptools)."""
    return tuple(choice for choice in choices if choice in ("uvloop", "httptools"))


def python_module(config: ServerConfig, module: str) -> list[str]:
    """`python -m module` under the config's interpreter (`python:`), else the suite's own."""
    return [config.python or sys.executable, "-m", module]


def listen(config: ServerConfig, host: str, port: int) -> list[str]:
    return ["--host", host, "--port", str(port), "--workers", str(config.workers)]


def called(config: ServerConfig) -> list[str]:
    """uvicorn and granian take a factory as module:function plus --factory
    (gunicorn and hypercorn read module:function() themselves)."""
    return [config.app_target, "--factory"] if config.factory else [str(config.app)]
