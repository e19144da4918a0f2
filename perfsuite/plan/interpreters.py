"""The interpreter a server config runs under (`python:`), asked what it holds.

A config may name its own interpreter, typically a virtualenv's bin/python,
so an app's dependencies need not fit beside the suite's, and two versions
of a server (or of Python) can be compared. Before anything starts, that
interpreter is asked, isolated (`-I`: no PYTHONPATH, no user site), for its
version, whether it can find the server's modules, and the versions of the
server packages inside it. Nothing of the server is imported: finding its
module is the check, as `python -m` would. Each interpreter is asked once,
for every server module at once, whatever configs name it; several are asked
in parallel (`ask_all`), each in a process group of its own that is killed
whole when the answer is in or the deadline passes, so an interpreter that
hangs costs ASK_TIMEOUT_S once and one that forks leaves nothing behind.
Answers (and failures) are kept for the suite's lifetime (the argv builder
asks gunicorn's version).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from perfsuite.io.signals import held
from perfsuite.plan.format import ServerConfig

PACKAGES = ("gunicorn", "uvicorn", "uvicorn-worker", "granian", "hypercorn", "gevent", "uvloop", "httptools")
SERVER_MODULES = ("gunicorn", "uvicorn_worker", "gevent", "uvicorn", "granian", "hypercorn")  # every modules_for
ASK_TIMEOUT_S = 30.0
POLL_S = 0.02
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


_KNOWN: dict[str, Interpreter | InterpreterError] = {}  # per interpreter: its answer for SERVER_MODULES


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
    """The interpreter's version, which of `modules` it cannot find, and its server packages' versions."""
    assert set(modules) <= set(SERVER_MODULES), f"asked for {modules}: add them to SERVER_MODULES"
    ask_all([python])
    known = _KNOWN[python]
    if isinstance(known, InterpreterError):
        raise known
    return replace(known, missing=tuple(m for m in known.missing if m in modules))


class _Asking:
    """One interpreter asked: its process (a group of its own) and its output in files (no pipe to fill)."""

    def __init__(self, python: str) -> None:
        self.python = python
        self.out = tempfile.TemporaryFile()  # noqa: SIM115 (closed by end(), on every path)
        self.err = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            [python, "-I", "-c", _ASK, ",".join(SERVER_MODULES), ",".join(PACKAGES)],
            stdin=subprocess.DEVNULL,
            stdout=self.out,
            stderr=self.err,
            env={"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"},
            start_new_session=True,
        )

    def end(self) -> None:
        """Its whole group killed (what it forked included), it reaped, its files closed."""
        with contextlib.suppress(OSError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        self.out.close()
        self.err.close()

    def answer(self) -> Interpreter | InterpreterError:
        code = self.process.poll()
        if code is None:
            return InterpreterError(f"{self.python} did not answer within {ASK_TIMEOUT_S:g} s")
        self.out.seek(0)
        self.err.seek(0)
        out = self.out.read(1 << 20).decode("utf-8", "replace").strip().splitlines()
        try:
            data = json.loads(out[-1]) if code == 0 and out else None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            tail = (self.err.read(1 << 16).decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
            return InterpreterError(f"{self.python} could not run its check: {tail[:200]}")
        try:
            return Interpreter(
                path=self.python,
                python=str(data.get("python")),
                packages={str(k): (None if v is None else str(v)) for k, v in dict(data.get("packages", {})).items()},
                missing=tuple(str(m) for m in data.get("missing", [])),
            )
        except (TypeError, ValueError, AttributeError):
            return InterpreterError(f"{self.python} could not run its check: an answer of another shape")


def ask_all(pythons: Iterable[str]) -> None:
    """Ask every interpreter not asked yet, all at once, against one deadline; the answers
    (or why there is none) are kept. Whatever ends the wait (the deadline, an answer, an
    interrupt), each process group is killed before this returns or raises."""
    todo = [p for p in dict.fromkeys(pythons) if p not in _KNOWN]
    asking: list[_Asking] = []
    try:
        for python in todo:
            if not os.path.isfile(python) or not os.access(python, os.X_OK):
                _KNOWN[python] = InterpreterError(f"{python} is not an executable file")
                continue
            try:
                asking.append(_Asking(python))
            except OSError as error:
                _KNOWN[python] = InterpreterError(f"{python} could not be started ({error.strerror or error})")
        deadline = time.monotonic() + ASK_TIMEOUT_S
        while any(a.process.poll() is None for a in asking) and time.monotonic() < deadline:
            time.sleep(POLL_S)
        for a in asking:
            _KNOWN[a.python] = a.answer()
    finally:
        with held():  # an interrupt does not cut this short: every group goes, then it is answered
            for a in asking:
                a.end()


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
