"""Self set-up for the two entry points (standard library only).

On a machine with only Python >= 3.11 and pip, `python3 run_suite.py ...` and
`python3 run_tests.py` create .venv, install the project with its test extras,
and re-execute themselves inside it. The install is redone when pyproject.toml
changes (a hash stamp in .venv). PERFSUITE_NO_BOOTSTRAP=1 skips all of this
for people who install the project into an environment of their own.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from perfsuite import ROOT

VENV = ROOT / ".venv"
STAMP = VENV / ".perfsuite-installed"


def _wanted_stamp() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def _venv_python() -> Path:
    return VENV / "bin" / "python"


RUNNING: list[subprocess.Popen[bytes]] = []  # the set-up's children, each in its own process group


def _run(argv: list[str]) -> None:
    child = subprocess.Popen(argv, cwd=ROOT, start_new_session=True)
    RUNNING.append(child)
    try:
        code = child.wait()
    finally:
        RUNNING.remove(child)
    if code:
        raise subprocess.CalledProcessError(code, argv)


def stop_running() -> None:
    """Kill the set-up's children (venv, pip and pip's build helpers), for an exit on a signal."""
    for child in list(RUNNING):
        with contextlib.suppress(OSError):
            os.killpg(child.pid, signal.SIGKILL)


def _install() -> None:
    print("perfsuite: setting up .venv (first run, or pyproject.toml changed) ...", file=sys.stderr, flush=True)
    if not _venv_python().exists():
        _run([sys.executable, "-m", "venv", str(VENV)])
    pip = [str(_venv_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _run([*pip, "-e", f"{ROOT}[test]"])
    STAMP.write_text(_wanted_stamp())


def ensure_venv(argv: list[str]) -> None:
    """Make sure .venv is installed and current, then run `argv` inside it (never returns there)."""
    if os.environ.get("PERFSUITE_NO_BOOTSTRAP"):
        return
    current = STAMP.read_text().strip() if STAMP.exists() else ""
    if current != _wanted_stamp():
        try:
            _install()
        except (subprocess.CalledProcessError, OSError) as error:
            sys.exit(f"perfsuite: setting up .venv failed ({error}); see pip's output above")
    if Path(sys.prefix).resolve() != VENV.resolve():
        python = str(_venv_python())
        os.execv(python, [python, *argv])
