#!/usr/bin/env python3
"""Entry point: `python3 run_suite.py scenarios/all.yaml` (see README).

Thin on purpose: set up or enter .venv (perfsuite.bootstrap), then hand over
to perfsuite.cli.
"""

import sys
from pathlib import Path

from perfsuite.bootstrap import ensure_venv

if __name__ == "__main__":
    ensure_venv([str(Path(__file__).resolve()), *sys.argv[1:]])
    from perfsuite.cli import main

    sys.exit(main())
