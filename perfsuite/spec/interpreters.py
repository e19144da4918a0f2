"""The interpreter a server config runs under (`python:`), asked what it holds.

A config may name its own interpreter, typically a virtualenv's bin/python,
so an app's dependencies need not fit beside the suite's, and two versions
of a server (or of Python) can be compared. Before anything starts, that
interpreter is asked, isolated (`-I`: no PYTHONPATH, no user site), for its
version, whether it can find the server's modules, and the versions of the
server packages inside it. Nothing of the server is imported: finding its
module is the check, as `python -m` would. Answers are kept per interpreter
for the suite's lifetime (the argv builder asks gunicorn's version).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from perfsuite.spec.format import ServerConfig

PACKAGES = ("gunicorn", "uvicorn", "uvicorn-worker", "granian", "hypercorn", "gevent", "uvloop", "httptools")
ASK_TIMEOUT_S = 30.0
_ASK = """
import importlib.metadata, importlib.util, json, platform, sys
modules, packages = sys.argv[1].split(","), sys.argv[2].split(",")
def version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None
def found(name):
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False
print(json.dumps({"python": platform.python_version(), "missing": [m for m in modules if m and not found(m)],
                  "packages": {p: version(p) for p in packages}}))
"""


@dataclass(frozen=True)
class Interpreter:
    path: str
    python: str  # its version, e.g. 3.11.7
    packages: dict[str, str | None] = field(default_factory=dict)
    missing: tuple[str, ...] = ()


class InterpreterError(Exception):
    """The interpreter cannot be run, or cannot answer; the message says why."""


_KNOWN: dict[tuple[str, tuple[str, ...]], Interpreter] = {}


def modules_for(server: ServerConfig) -> list[str]:
    """What `python -m` must find for this config to start."""
    if server.server == "gunicorn":
        extra = {"uvicorn": ["uvicorn_worker"], "gevent": ["gevent"]}.get(server.worker_class or "sync", [])
        return ["gunicorn", *extra]
    return [] if server.server == "external" else [server.server]


def located(python: str, base_dir: Path) -> str:
    """The path a `python:` names: relative to the scenario file, or a command on PATH.
    Symlinks are kept: a virtualenv's bin/python is a link whose place makes the environment."""
    if os.sep not in python and not python.startswith("."):
        return shutil.which(python) or python
    return os.path.abspath(base_dir / python)


def ask(python: str, modules: list[str]) -> Interpreter:
    """The interpreter's version, the modules it cannot find, and its server packages' versions."""
    key = (python, tuple(modules))
    if key in _KNOWN:
        return _KNOWN[key]
    if not os.path.isfile(python) or not os.access(python, os.X_OK):
        raise InterpreterError(f"{python} is not an executable file")
    try:
        done = subprocess.run(
            [python, "-I", "-c", _ASK, ",".join(modules), ",".join(PACKAGES)],
            capture_output=True,
            text=True,
            timeout=ASK_TIMEOUT_S,
            env={"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"},
            stdin=subprocess.DEVNULL,
        )
        data = json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError) as error:
        raise InterpreterError(f"{python} did not answer ({type(error).__name__})") from None
    if not isinstance(data, dict):
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1][:200]
        raise InterpreterError(f"{python} could not run its check: {tail}")
    found = Interpreter(
        path=python,
        python=str(data.get("python")),
        packages={str(k): (None if v is None else str(v)) for k, v in dict(data.get("packages", {})).items()},
        missing=tuple(str(m) for m in data.get("missing", [])),
    )
    _KNOWN[key] = found
    return found


def interpreter_of(server: ServerConfig) -> str:
    """The interpreter the config's server runs under (the suite's own unless `python:` names one;
    the loader makes a declared one absolute)."""
    return server.python or sys.executable


def package_version(server: ServerConfig, package: str) -> tuple[int, ...] | None:
    """A package's version in the config's interpreter, as numbers (None: not known)."""
    if server.python is None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            text = version(package)
        except PackageNotFoundError:
            return None
    else:
        try:
            text = ask(server.python, modules_for(server)).packages.get(package) or ""
        except InterpreterError:
            return None
    numbers = []
    for part in text.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        if not digits:
            break
        numbers.append(int(digits))
    return tuple(numbers) or None
