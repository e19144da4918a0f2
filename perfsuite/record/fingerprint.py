"""The machine and software a suite ran on, recorded with its results.

Numbers from different machines or package versions are not comparable; the
fingerprint lets a reader (and a later baseline comparison) tell.
"""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

import psutil

from perfsuite import ROOT
from perfsuite.plan.affinity import default_layout
from perfsuite.plan.format import ServerConfig
from perfsuite.plan.interpreters import InterpreterError
from perfsuite.plan.servers import SERVER_PACKAGES, interpreter
from perfsuite.record.results import Environment, InterpreterRecord

PACKAGES = ("locust", *SERVER_PACKAGES, "httpx", "psutil", "pydantic", "perfsuite")


def _cpu_model() -> str | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def interpreters(servers: Mapping[str, ServerConfig]) -> dict[str, InterpreterRecord]:
    """Per config with its own `python:`: that interpreter's version and server packages."""
    found = {}
    for name, server in servers.items():
        if server.python is None:
            continue
        try:
            asked = interpreter(server.python)
            found[name] = InterpreterRecord(path=server.python, python=asked.python, packages=asked.packages)
        except InterpreterError:
            found[name] = InterpreterRecord(path=server.python)
    return found


def fingerprint(servers: Mapping[str, ServerConfig] | None = None) -> Environment:
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no") if commit else None
    return Environment.model_validate(
        {
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "os": platform.platform(),
            "kernel": platform.release(),
            "machine": platform.machine(),
            "hostname": socket.gethostname(),
            "cpu_model": _cpu_model(),
            "cpu_count": os.cpu_count(),
            "cpus_available": sorted(os.sched_getaffinity(0)),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "packages": {name: _version(name) for name in PACKAGES},
            "project_commit": commit,
            "project_dirty": bool(status) if commit else None,
            "default_affinity": default_layout(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "interpreters": interpreters(servers or {}),
        }
    )
