"""Checks of a scenario against this machine, before anything starts: its
files (app_dir, locustfiles), its interpreters (`python:`, asked, isolated),
its apps' modules and interfaces (found and read, never imported), its cores.
`--against REF` runs them again on each config's code at REF."""

from __future__ import annotations

import ast
import errno
import os
from pathlib import Path

from perfsuite.io.files import read_bytes
from perfsuite.plan.appcheck import infer, locate, nearby, server_roots
from perfsuite.plan.format import CpuSettings, ServerConfig, SuiteFile
from perfsuite.plan.interpreters import ImportFailure, InterpreterError, located
from perfsuite.plan.messages import did_you_mean
from perfsuite.plan.problems import PathKey
from perfsuite.plan.servers import SERVER_KINDS, interpreter, modules_for, serves
from perfsuite.plan.yamlfile import MAX_FILE_BYTES


def app_problems(name: str, server: ServerConfig, base_dir: Path) -> list[tuple[PathKey, str]]:
    """A config's app_dir that is not a folder, or else its app's module that cannot be
    found, or else an interface the config cannot serve."""
    if server.app_dir is not None and (why := missing(base_dir / server.app_dir, "directory")):
        return [(("servers", name, "app_dir"), f"directory {server.app_dir!r} {why}")]
    if SERVER_KINDS[server.server].build_argv is None or server.app is None:
        return []
    return _module_problems(name, server, base_dir) or interface_problems(name, server, base_dir)


def cpu_problems(cpu: CpuSettings | None, at: PathKey) -> list[tuple[PathKey, str]]:
    if cpu is None:
        return []
    available = sorted(os.sched_getaffinity(0))
    found = []
    for role in ("server", "loadgen", "upstream"):
        for position, core in enumerate(getattr(cpu, role) or []):
            if core not in available:
                shown = ", ".join(map(str, available))
                found.append(((*at, "cpu", role, position), f"core {core} is not available here (available: {shown})"))
    return found


def missing(path: Path, kind: str) -> str | None:
    """Why `path` is not a `kind` ("file" or "directory") here, or None if it is."""
    try:
        if path.is_dir() if kind == "directory" else path.is_file():
            return None
        path.stat()  # it exists, as something else; or the reason it cannot be looked at
    except OSError as error:
        return "does not exist" if error.errno == errno.ENOENT else f"cannot be looked at ({error.strerror or error})"
    return f"is not a {kind}"


def locustfile_problem(path: Path) -> str | None:
    """Why Locust could not import `path` as a locustfile, found without running it."""
    if path.suffix != ".py":
        return "is not a Python file (.py): Locust imports a locustfile as a module"
    try:  # compiled from bytes, as an import reads it: a BOM or a coding line is honoured
        compile(read_bytes(path, MAX_FILE_BYTES), str(path), "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as error:
        return f"is not valid Python (line {error.lineno}: {error.msg})"
    except (OSError, ValueError, RecursionError, MemoryError) as error:  # unreadable, not UTF-8, a NUL byte
        return f"cannot be read as Python ({str(error)[:200] or type(error).__name__})"
    return None


def _roots(server: ServerConfig, base_dir: Path) -> list[Path]:
    return server_roots(server.app_dir, server.env, base_dir)


def _module_problems(name: str, server: ServerConfig, base_dir: Path) -> list[tuple[PathKey, str]]:
    """A module the server could not import, found without importing it."""
    assert server.app is not None
    module = server.app.partition(":")[0]
    roots = _roots(server, base_dir)
    if locate(module, roots, installed=server.python is None):  # another interpreter: its packages are its own
        return []
    where = " or ".join(str(root) for root in roots)
    hint = did_you_mean(module, nearby(module, roots))
    return [(("servers", name, "app"), f"module {module!r} is neither in {where} nor installed{hint}")]


def interpreter_problems(name: str, server: ServerConfig, base_dir: Path) -> list[tuple[PathKey, str]]:
    """A `python:` that cannot run the server: missing, not executable, or without the server's modules."""
    assert server.python is not None
    python = located(server.python, base_dir)
    try:
        found = interpreter(python)
    except InterpreterError as error:
        return [(("servers", name, "python"), str(error))]
    needed = modules_for(server)
    lacking = [module for module in needed if module in found.missing]
    if lacking:
        missing = ", ".join(lacking)
        return [
            (("servers", name, "python"), f"{python} (Python {found.python}) cannot import {missing}; install it there")
        ]
    return [
        (("servers", name, "python"), _import_failure(python, found.python, module, found.failing[module]))
        for module in needed
        if module in found.failing
    ]


def _import_failure(python: str, version: str, module: str, failure: ImportFailure) -> str:
    """`gunicorn.workers.ggevent` found but failing for want of `packaging`: name both, and the fix."""
    text = f"{python} (Python {version}) has {module}, but importing it failed ({failure.error})"
    if failure.lacking and failure.lacking.split(".")[0] != module.split(".")[0]:
        return f"{text}; install {failure.lacking.split('.')[0]} there"
    return text


def with_interpreters(declared: SuiteFile, base_dir: Path) -> SuiteFile:
    """The servers' `python:` made absolute (the suite runs servers from other folders)."""
    servers = {
        name: server.model_copy(update={"python": located(server.python, base_dir)}) if server.python else server
        for name, server in declared.servers.items()
    }
    return declared.model_copy(update={"servers": servers})


def interface_problems(name: str, server: ServerConfig, base_dir: Path) -> list[tuple[PathKey, str]]:
    """An app whose interface the config cannot serve, where that can be known:
    a declared `interface:` is believed; otherwise the app's source is read."""
    assert server.app is not None
    served = serves(server)
    if server.interface is not None:
        app_is, unless = f"interface: {server.interface} says the app is {server.interface.upper()}", ""
        wrong = server.interface not in served
    else:
        found = infer(server.app, _roots(server, base_dir))
        if found is None:
            return []
        app_is = f"{server.app} is {found.kind.upper()} ({found.evidence})"
        unless = " (if that reading of the source is wrong, declare interface:)"
        wrong = found.kind not in served
    if not wrong:
        return []
    field = "interface" if server.interface else "worker_class" if server.worker_class else "server"
    if server.server == "gunicorn":
        what = f"gunicorn's {server.worker_class or 'sync'} worker"
    elif server.server == "granian":
        what = f"granian with interface: {server.interface or 'asgi'}"
    else:
        what = server.server
    shown = " or ".join(sorted(i.upper() for i in served))
    return [
        (("servers", name, field), f"{what} serves {shown}, but {app_is}; {SERVER_KINDS[server.server].fix}{unless}")
    ]
