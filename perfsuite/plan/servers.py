"""Registry of server kinds: a short name -> how to build its argv (never a shell).

Adding a server is adding one entry to SERVER_KINDS. Each kind also declares
which optional settings it understands, so a setting meant for another kind
is an error in the scenario file rather than silently ignored.
"""

from __future__ import annotations

import shlex
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from perfsuite.plan.appcheck import ASGI, WSGI
from perfsuite.plan.format import ServerConfig
from perfsuite.plan.interpreters import interpreter_of, package_version

GUNICORN_WORKER_CLASSES = {
    "sync": "sync",
    "gthread": "gthread",
    "gevent": "gevent",
    "uvicorn": "uvicorn_worker.UvicornWorker",
    "asgi": "asgi",  # gunicorn's own (24+)
}
ASGI_WORKERS = ("uvicorn", "asgi")

NO_GUNICORN_CONF = Path(__file__).with_name("no_gunicorn_conf.py")

# Which interfaces each config serves; the loader holds the app's against them.
BOTH = frozenset({ASGI, WSGI})
LISTEN = frozenset({"host", "port"})  # where a server the suite starts listens


@dataclass(frozen=True)
class ServerKind:
    build_argv: Callable[[ServerConfig, str, int], list[str]] | None  # None: the suite does not start it
    options: frozenset[str]  # optional settings this kind accepts
    serves: Callable[[ServerConfig], frozenset[str]]  # the app interfaces a config can serve
    fix: str  # what to change when the app's interface does not fit
    recycling: tuple[str, ...] = ()  # options (or env variables) that restart workers on purpose
    # The signal that starts a config's stop (then the grace period, then SIGKILL).
    stop_signal: Callable[[ServerConfig], signal.Signals] = lambda _: signal.SIGTERM
    # Flags the suite sets from declared fields (or must own), -> the field to declare instead.
    owned: dict[str, str] = field(default_factory=dict)
    # How else the server takes options: argparse (abbreviated long options, clustered
    # short ones), an environment variable of arguments, environment variables per option.
    argparse: bool = False
    args_variable: str | None = None
    option_prefix: str | None = None


def _python_module(config: ServerConfig, module: str) -> list[str]:
    # The config's interpreter (`python:`), else the suite's own.
    return [interpreter_of(config), "-m", module]


CONTROL_SOCKET_FROM = (25, 1)  # gunicorn's control socket (and --no-control-socket) arrived in 25.1


def _gunicorn(config: ServerConfig, host: str, port: int) -> list[str]:
    worker_class = config.worker_class or "sync"
    argv = [
        *_python_module(config, "gunicorn"),
        # Only the declared settings: no gunicorn.conf.py from the working directory,
        # and no control socket shared with every gunicorn of this user ($HOME/.gunicorn).
        "--config",
        str(NO_GUNICORN_CONF),
        *(["--no-control-socket"] if (package_version(config, "gunicorn") or (99,)) >= CONTROL_SOCKET_FROM else []),
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(config.workers),
        "--worker-class",
        GUNICORN_WORKER_CLASSES[worker_class],
    ]
    if config.threads is not None:
        argv += ["--threads", str(config.threads)]
    if config.worker_connections is not None:
        argv += ["--worker-connections", str(config.worker_connections)]
    if config.asgi_loop is not None:
        argv += ["--asgi-loop", config.asgi_loop]
    if config.http_parser is not None:
        argv += ["--http-parser", config.http_parser]
    return [*argv, *config.args, str(config.app)]


def _listen(config: ServerConfig, host: str, port: int) -> list[str]:
    return ["--host", host, "--port", str(port), "--workers", str(config.workers)]


def _called(config: ServerConfig) -> list[str]:
    """uvicorn and granian take a factory as module:function plus --factory
    (gunicorn and hypercorn read module:function() themselves)."""
    return [config.app_target, "--factory"] if config.factory else [str(config.app)]


def _uvicorn(config: ServerConfig, host: str, port: int) -> list[str]:
    argv = [*_python_module(config, "uvicorn"), *_called(config), *_listen(config, host, port), "--no-access-log"]
    if config.loop is not None:
        argv += ["--loop", config.loop]
    if config.http is not None:
        argv += ["--http", config.http]
    return [*argv, *config.args]


def _granian(config: ServerConfig, host: str, port: int) -> list[str]:
    argv = [*_python_module(config, "granian"), "--interface", config.interface or ASGI, *_listen(config, host, port)]
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


def _hypercorn(config: ServerConfig, host: str, port: int) -> list[str]:
    argv = [
        *_python_module(config, "hypercorn"),
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(config.workers),
    ]
    if config.loop is not None:
        argv += ["--worker-class", config.loop]
    return [*argv, *config.args, str(config.app)]


def _gunicorn_serves(config: ServerConfig) -> frozenset[str]:
    return frozenset({ASGI if config.worker_class in ASGI_WORKERS else WSGI})


def _uvicorn_serves(config: ServerConfig) -> frozenset[str]:
    # uvicorn serves WSGI only when told (`--interface wsgi`); its auto mode takes any app for ASGI.
    told = None
    for position, arg in enumerate(config.args):
        if arg == "--interface" and position + 1 < len(config.args):
            told = config.args[position + 1]
        elif arg.startswith("--interface="):
            told = arg.split("=", 1)[1]
    return frozenset({WSGI}) if told == WSGI else frozenset({ASGI})


SERVER_KINDS: dict[str, ServerKind] = {
    "gunicorn": ServerKind(
        _gunicorn,
        frozenset({"worker_class", "threads", "worker_connections", "asgi_loop", "http_parser", "interface", *LISTEN}),
        _gunicorn_serves,
        "use worker_class: asgi or uvicorn for an ASGI app; sync, gthread or gevent for a WSGI app",
        ("--max-requests",),
        # gunicorn's graceful stop (SIGTERM) of a gevent worker waits for idle
        # keep-alive connections, checking once a second (2.6 s here with
        # Locust's connections open); its quick stop (SIGINT) takes 0.3 s. The
        # suite stops a server only when nothing it measures is in flight.
        lambda c: signal.SIGINT if c.worker_class == "gevent" else signal.SIGTERM,
        {
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
    ),
    "uvicorn": ServerKind(
        _uvicorn,
        frozenset({"loop", "http", "interface", *LISTEN}),
        _uvicorn_serves,
        "for a WSGI app use gunicorn, hypercorn, or granian with interface: wsgi",
        ("--limit-max-requests",),
        owned={
            **dict.fromkeys(("--host", "--port", "--uds", "--fd"), "host: and port:"),
            "--workers": "workers:",
            "--loop": "loop:",
            "--http": "http:",
            "--app-dir": "app_dir:",
            "--factory": "app: module:function() (a factory)",
        },
        option_prefix="UVICORN_",
    ),
    "granian": ServerKind(
        _granian,
        frozenset(
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
        lambda c: frozenset({c.interface or ASGI}),
        "set interface: to the app's",
        ("--workers-lifetime", "--workers-max-rss", "GRANIAN_WORKERS_LIFETIME", "GRANIAN_WORKERS_MAX_RSS"),
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
    ),
    "hypercorn": ServerKind(
        _hypercorn,
        frozenset({"loop", "interface", *LISTEN}),
        lambda _: BOTH,
        "",
        ("--max-requests",),
        owned={
            **dict.fromkeys(("-b", "--bind", "--insecure-bind", "--quic-bind"), "host: and port:"),
            **dict.fromkeys(("-w", "--workers"), "workers:"),
            **dict.fromkeys(("-k", "--worker-class"), "loop:"),
            **dict.fromkeys(("-c", "--config"), "the scenario's fields (a config file would override them)"),
        },
        argparse=True,
    ),
    # A server the suite does not start (another machine, say): no lifecycle, no resource sampling.
    "external": ServerKind(None, frozenset({"url"}), lambda _: BOTH, ""),
}

# The settings that belong to some kinds only, in the model's order: any other kind refuses them.
KIND_OPTIONS = tuple(
    name
    for name in ServerConfig.model_fields
    if name != "url" and any(name in k.options for k in SERVER_KINDS.values())
)

# Settings valid only together with a given gunicorn worker class.
WORKER_CLASS_OPTIONS = {"threads": "gthread", "worker_connections": "gevent", "asgi_loop": "asgi"}

# Event-loop choices per kind (the `loop` setting).
LOOPS = {
    "uvicorn": ("auto", "asyncio", "uvloop"),
    "granian": ("auto", "asyncio", "uvloop", "rloop"),
    "hypercorn": ("asyncio", "uvloop"),
}


def is_external(config: ServerConfig) -> bool:
    return SERVER_KINDS[config.server].build_argv is None


def build_argv(config: ServerConfig, host: str, port: int) -> list[str]:
    build = SERVER_KINDS[config.server].build_argv
    if build is None:
        raise ValueError(f"server kind {config.server!r} is not started by the suite")
    return build(config, host, port)


def recycles_workers(config: ServerConfig) -> bool:
    """Whether the config restarts its workers on purpose (then a worker exiting is not a fault).
    Seen in args: and env: (GUNICORN_CMD_ARGS too); a gunicorn -c config file is not read."""
    words = [*config.args, *shlex.split(config.env.get("GUNICORN_CMD_ARGS", ""))]
    recycling = SERVER_KINDS[config.server].recycling
    return any(w == flag or w.startswith(flag + "=") for w in words for flag in recycling) or any(
        name in config.env for name in recycling
    )


def _owned(arg: str, kind: ServerKind) -> str | None:
    """The owned flag `arg` sets, if any: `--workers`, `--workers=3`, `-w3`; for
    argparse servers also an abbreviation (`--work`) or a short flag in a cluster (`-Dw3`)."""
    if arg.startswith("--"):
        name = arg.split("=", 1)[0]
        if name in kind.owned:
            return name
        if kind.argparse and len(name) > 2:
            return next((flag for flag in kind.owned if flag.startswith(name)), None)
        return None
    if len(arg) < 2 or arg[0] != "-" or not arg[1].isalpha():
        return None
    letters = arg[1:] if kind.argparse else arg[1]
    for letter in letters:
        if not letter.isalpha():
            break
        if f"-{letter}" in kind.owned:
            return f"-{letter}"
    return None


def overridden(config: ServerConfig) -> list[tuple[tuple[str | int, ...], str, str, str]]:
    """What in `args:` or `env:` would set what the suite sets:
    (where in the config, what was written, the flag it sets, the field to declare instead)."""
    kind = SERVER_KINDS[config.server]
    found = []
    for position, arg in enumerate(config.args):
        if (flag := _owned(arg, kind)) is not None:
            found.append((("args", position), arg, flag, kind.owned[flag]))
    for name, value in config.env.items():
        if name == kind.args_variable:
            try:
                words = shlex.split(value)
            except ValueError:
                words = value.split()
            for word in words:
                if (flag := _owned(word, kind)) is not None:
                    found.append((("env", name), f"{name}={value}", flag, kind.owned[flag]))
                    break
        elif kind.option_prefix and name.startswith(kind.option_prefix):
            flag = "--" + name.removeprefix(kind.option_prefix).lower().replace("_", "-")
            if flag in kind.owned:
                found.append((("env", name), name, flag, kind.owned[flag]))
    return found


def stop_signal(config: ServerConfig) -> signal.Signals:
    return SERVER_KINDS[config.server].stop_signal(config)


def serves(config: ServerConfig) -> frozenset[str]:
    return SERVER_KINDS[config.server].serves(config)
