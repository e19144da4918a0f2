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


# What a config of a kind can do under load: None where it can, else why not (naming the kind or version).
# `do` is an event (reload, kill_worker, scale) or a setting (max_requests, max_requests_jitter).
Deploys = Callable[[ServerConfig, str, Version], str | None]


def _no_deploys(config: ServerConfig, do: str, _: Version) -> str | None:
    return f"the suite does not {do.replace('_', ' ')} on server {config.server!r}"


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
    # Deploy day: what a config can do (events and recycling), the signal to its main process for each
    # ("reload", "scale+", "scale-"), and its recycling flags (max requests, their jitter).
    deploys: Deploys = _no_deploys
    signals: dict[str, signal.Signals] = field(default_factory=dict)
    recycle_flags: tuple[str, str] | None = None
    reload_resets_scale: bool = False  # a reload starts the declared workers again (gunicorn re-reads its config)

    def modules_for(self, config: ServerConfig) -> tuple[str, ...]:
        return self.needs(config) if self.needs is not None else self.modules


def at_least(version: Version, package: str, least: tuple[int, ...]) -> bool:
    """Whether the config's `package` is `least` or later (unknown: assumed so; the start then shows)."""
    found = version(package)
    return found is None or found >= least


def recycling_argv(config: ServerConfig, flags: tuple[str, str] | None) -> list[str]:
    """The declared max_requests and max_requests_jitter as the kind's flags."""
    if flags is None or config.max_requests is None:
        return []
    argv = [flags[0], str(config.max_requests)]
    return argv + ([flags[1], str(config.max_requests_jitter)] if config.max_requests_jitter is not None else [])


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
