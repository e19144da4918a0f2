"""An interpreter, asked what it holds: its Python version, which of some
modules it cannot find or cannot import, and some packages' versions.

A server config may name its own interpreter (`python:`), typically a
virtualenv's bin/python, so an app's dependencies need not fit beside the
suite's, and two versions of a server (or of Python) can be compared. Before
anything starts, that interpreter is asked, isolated (`-I`: no PYTHONPATH, no
user site). Each module is found, then imported, as the server would import
it when it starts (a worker class that imports a package its server does not
declare fails here, not in the run); the app is never imported. The registry (perfsuite.plan.servers) asks about every
server kind's modules and packages at once, so each interpreter is asked
once whatever configs name it; several are asked in parallel (`ask_all`),
each in a process group of its own that is killed whole when the answer is
in or the deadline passes, so an interpreter that hangs costs ASK_TIMEOUT_S
once and one that forks leaves nothing behind. Answers (and failures) are
kept for the suite's lifetime.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from perfsuite.io.signals import held

ASK_TIMEOUT_S = 30.0
POLL_S = 0.02
_ASK = """
import importlib.metadata, importlib.util, json, os, platform, sys
answer = os.dup(1)  # the answer's own descriptor: what an imported module prints goes to stderr
os.dup2(2, 1)
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
def failure(name):
    try:
        importlib.import_module(name)
    except BaseException as error:
        lacking = getattr(error, "name", None) if isinstance(error, ImportError) else None
        return {"error": f"{type(error).__name__}: {error}"[:300], "lacking": lacking}
    return None
missing = [m for m in modules if m and not found(m)]
failing = {m: why for m in modules if m and m not in missing and (why := failure(m)) is not None}
text = json.dumps({"python": platform.python_version(), "missing": missing, "failing": failing,
                   "packages": {p: version(p) for p in packages}})
os.write(answer, ("\\n" + text + "\\n").encode())
os._exit(0)  # no atexit hook, no thread an import left running, may add to the answer or hold it back
"""


@dataclass(frozen=True)
class ImportFailure:
    error: str  # e.g. "ModuleNotFoundError: No module named 'packaging'"
    lacking: str | None  # the module it could not import, if that is what failed


@dataclass(frozen=True)
class Interpreter:
    path: str
    python: str  # its version, e.g. 3.11.7
    packages: dict[str, str | None] = field(default_factory=dict)
    missing: tuple[str, ...] = ()  # not found
    failing: dict[str, ImportFailure] = field(default_factory=dict)  # found, but its import raised


class InterpreterError(Exception):
    """The interpreter cannot be run, or cannot answer; the message says why."""


Question = tuple[str, tuple[str, ...], tuple[str, ...]]  # (interpreter, modules, packages)
_KNOWN: dict[Question, Interpreter | InterpreterError] = {}  # each question's answer, or why there is none


def located(python: str, base_dir: Path) -> str:
    """The path a `python:` names: relative to the scenario file, or a command on PATH.
    Symlinks are kept: a virtualenv's bin/python is a link whose place makes the environment."""
    if os.sep not in python and not python.startswith("."):
        return shutil.which(python) or python
    return os.path.abspath(base_dir / python)


def ask(python: str, modules: tuple[str, ...], packages: tuple[str, ...]) -> Interpreter:
    """The interpreter's version, which of `modules` it cannot find, and `packages`' versions in it."""
    ask_all([python], modules, packages)
    known = _KNOWN[(python, modules, packages)]
    if isinstance(known, InterpreterError):
        raise known
    return known


class _Asking:
    """One interpreter asked: its process (a group of its own) and its output in files (no pipe to fill)."""

    def __init__(self, python: str, modules: tuple[str, ...], packages: tuple[str, ...]) -> None:
        self.python = python
        self.out = tempfile.TemporaryFile()  # noqa: SIM115 (closed by end(), on every path)
        self.err = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            [python, "-I", "-c", _ASK, ",".join(modules), ",".join(packages)],
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
                failing={
                    str(module): ImportFailure(str(why["error"])[:300], why["lacking"] and str(why["lacking"]))
                    for module, why in dict(data.get("failing", {})).items()
                },
            )
        except (TypeError, ValueError, AttributeError, KeyError):
            return InterpreterError(f"{self.python} could not run its check: an answer of another shape")


def ask_all(pythons: Iterable[str], modules: tuple[str, ...], packages: tuple[str, ...]) -> None:
    """Ask every interpreter not asked yet, all at once, against one deadline; the answers
    (or why there is none) are kept. Whatever ends the wait (the deadline, an answer, an
    interrupt), each process group is killed before this returns or raises."""
    todo = [p for p in dict.fromkeys(pythons) if (p, modules, packages) not in _KNOWN]
    asking: list[_Asking] = []
    try:
        for python in todo:
            if not os.path.isfile(python) or not os.access(python, os.X_OK):
                _KNOWN[(python, modules, packages)] = InterpreterError(f"{python} is not an executable file")
                continue
            try:
                asking.append(_Asking(python, modules, packages))
            except OSError as error:
                why = InterpreterError(f"{python} could not be started ({error.strerror or error})")
                _KNOWN[(python, modules, packages)] = why
        deadline = time.monotonic() + ASK_TIMEOUT_S
        while any(a.process.poll() is None for a in asking) and time.monotonic() < deadline:
            time.sleep(POLL_S)
        for a in asking:
            _KNOWN[(a.python, modules, packages)] = a.answer()
    finally:
        with held():  # an interrupt does not cut this short: every group goes, then it is answered
            for a in asking:
                a.end()
