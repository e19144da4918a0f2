#!/usr/bin/env python3
"""Entry point: `python3 run_suite.py scenarios/all.yaml` (see README).

Thin on purpose: set up or enter .venv (perfsuite.bootstrap), then hand over
to perfsuite.cli.
"""

import os
import signal
import sys
from pathlib import Path

from perfsuite.bootstrap import ensure_venv, stop_running


def _quit_early(signum: int, _frame: object) -> None:
    # Only .venv's set-up may be running yet: stop it and leave at once. An
    # exception raised here could surface from inside any half-done import.
    stop_running()
    os._exit(128 + signum)


if __name__ == "__main__":
    # Until the command installs its own handlers (perfsuite.run.lifecycle).
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _quit_early)
    ensure_venv([str(Path(__file__).resolve()), *sys.argv[1:]])
    from perfsuite.cli import run

    run()
