"""The registry of server kinds: a short name -> its entry (perfsuite.plan.kinds).

An entry is everything the suite knows of a kind: how to build its argv
(never a shell), the settings it accepts and the flags `args:` may not set,
the app interfaces it serves, how it stops, its packages and modules, and
its concurrency model (slots, and why). Adding a server kind is adding an
entry: its module under perfsuite/plan/kinds/ and one line below. The names
the scenario format accepts, the packages whose versions are recorded and
compared, and the modules an interpreter is asked for are derived from here.
"""

from __future__ import annotations

import math
import shlex
import signal
from collections.abc import Iterable
from dataclasses import replace
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed_version

from perfsuite.plan import interpreters
from perfsuite.plan.appfacts import AppFacts
from perfsuite.plan.concurrency import DJANGO_ASGI, Slots, app_pool
from perfsuite.plan.format import ServerConfig
from perfsuite.plan.kinds import external, granian, gunicorn, hypercorn, uvicorn
from perfsuite.plan.kinds.base import ServerKind

SERVER_KINDS: dict[str, ServerKind] = {
    "gunicorn": gunicorn.KIND,
    "uvicorn": uvicorn.KIND,
    "granian": granian.KIND,
    "hypercorn": hypercorn.KIND,
    "external": external.KIND,
}

SERVER_KIND_NAMES = tuple(SERVER_KINDS)
# Every kind's distributions and modules, each once, in the registry's order.
SERVER_PACKAGES = tuple(dict.fromkeys(p for kind in SERVER_KINDS.values() for p in kind.packages))
SERVER_MODULES = tuple(dict.fromkeys(m for kind in SERVER_KINDS.values() for m in kind.modules))
# The settings that belong to some kinds only, in the model's order: any other kind refuses them.
KIND_OPTIONS = tuple(
    name
    for name in ServerConfig.model_fields
    if name != "url" and any(name in kind.options for kind in SERVER_KINDS.values())
)
LOOPS = {name: kind.loops for name, kind in SERVER_KINDS.items() if kind.loops}  # the `loop:` choices per kind
WORKER_CLASS_OPTIONS = gunicorn.KIND.requires  # settings valid only with a given gunicorn worker class
NO_GUNICORN_CONF = gunicorn.NO_GUNICORN_CONF


def kind_of(config: ServerConfig) -> ServerKind:
    return SERVER_KINDS[config.server]


def is_external(config: ServerConfig) -> bool:
    return kind_of(config).build_argv is None


def build_argv(config: ServerConfig, host: str, port: int) -> list[str]:
    build = kind_of(config).build_argv
    if build is None:
        raise ValueError(f"server kind {config.server!r} is not started by the suite")
    return build(config, host, port, lambda package: package_version(config, package))


def serves(config: ServerConfig) -> frozenset[str]:
    return kind_of(config).serves(config)


def stop_signal(config: ServerConfig) -> signal.Signals:
    return kind_of(config).stop_signal(config)


def modules_for(config: ServerConfig) -> tuple[str, ...]:
    """What `python -m` must find for this config to start."""
    return kind_of(config).modules_for(config)


def interpreter(python: str) -> interpreters.Interpreter:
    """An interpreter asked about every kind's modules and packages (once; InterpreterError)."""
    return interpreters.ask(python, SERVER_MODULES, SERVER_PACKAGES)


def ask_all(pythons: list[str]) -> None:
    """Every interpreter named asked at once, about every kind's modules and packages."""
    interpreters.ask_all(pythons, SERVER_MODULES, SERVER_PACKAGES)


def package_version(config: ServerConfig, package: str) -> tuple[int, ...] | None:
    """A package's version in the config's interpreter, as numbers (None: not known)."""
    if config.python is None:
        try:
            text = installed_version(package)
        except PackageNotFoundError:
            return None
    else:
        try:
            text = interpreter(config.python).packages.get(package) or ""
        except interpreters.InterpreterError:
            return None
    numbers = []
    for part in text.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        if not digits:
            break
        numbers.append(int(digits))
    return tuple(numbers) or None


def slots(config: ServerConfig, app: AppFacts | None = None, paths: list[str] | None = None, cores: int = 1) -> Slots:
    """Requests the config can serve at once, and why (NoModel where that cannot be known):
    its declared `slots:`, else its kind's model, else the app's own pool, else an event loop's."""
    found = Slots(float(config.slots), "declared (slots:)") if config.slots is not None else None
    found = found or kind_of(config).slots(config, app, paths or [], cores)
    found = found or app_pool(app, paths or [], config.workers) or Slots(math.inf, "event loop: unbounded")
    if app is not None and app.framework == "django" and not found.measured:  # a bound on Django under ASGI
        return replace(found, source=f"{found.source}; {DJANGO_ASGI}", measured=True)
    return found


def recycles_workers(config: ServerConfig) -> bool:
    """Whether the config restarts its workers on purpose (then a worker exiting is not a fault).
    Seen in args: and env: (GUNICORN_CMD_ARGS too); a gunicorn -c config file is not read."""
    if config.max_requests is not None:
        return True
    words = [*config.args, *shlex.split(config.env.get("GUNICORN_CMD_ARGS", ""))]
    recycling = kind_of(config).recycling
    return any(w == flag or w.startswith(flag + "=") for w in words for flag in recycling) or any(
        name in config.env for name in recycling
    )


def cannot(config: ServerConfig, do: str) -> str | None:
    """Why this config cannot do `do` (an event, or max_requests / max_requests_jitter), or None."""
    return kind_of(config).deploys(config, do, lambda package: package_version(config, package))


def workers_as_events_leave(config: ServerConfig, events: Iterable[tuple[str, int | None]]) -> list[int]:
    """The config's workers after each of `events` ((do, workers), in order): a scale adds or removes, a
    reload of a kind that re-reads its config starts the declared count again, the rest keep it."""
    count, found = config.workers, []
    for do, workers in events:
        if do == "scale":
            count += workers or 0
        elif do == "reload" and kind_of(config).reload_resets_scale:
            count = config.workers
        found.append(count)
    return found


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
    kind = kind_of(config)
    found: list[tuple[tuple[str | int, ...], str, str, str]] = []
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
