#!/usr/bin/env python3
"""Entry point: `python3 run_suite.py scenarios/all.yaml` (see README).

Thin on purpose: set up or enter .venv (perfsuite.bootstrap), then hand over
to perfsuite.cli.
"""

import signal
import sys
from pathlib import Path


def _quit_early(signum: int, _frame: object) -> None:
    # Nothing but .venv's pip may be running yet (subprocess.run kills it as this
    # unwinds): leave at once, without a traceback from half-done imports.
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    # Until the command installs its own handlers (perfsuite.lifecycle).
    signal.signal(signal.SIGINT, _quit_early)
    signal.signal(signal.SIGTERM, _quit_early)
    from perfsuite.bootstrap import ensure_venv

    ensure_venv([str(Path(__file__).resolve()), *sys.argv[1:]])
    from perfsuite.cli import main

    sys.exit(main())
