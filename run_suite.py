#!/usr/bin/env python3
"""Entry point: `python run_suite.py scenarios/all.yaml` (see README).

Thin on purpose: if the project's .venv exists and is not the running
interpreter, re-run inside it; then hand over to perfsuite.cli.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv"

if (VENV / "bin" / "python").exists() and Path(sys.prefix).resolve() != VENV.resolve():
    python = str(VENV / "bin" / "python")
    os.execv(python, [python, str(Path(__file__).resolve()), *sys.argv[1:]])

try:
    from perfsuite.cli import main
except ImportError as error:
    sys.exit(f"error: {error}. Set up first with `make setup` (creates .venv), or install with `pip install -e .`")

if __name__ == "__main__":
    sys.exit(main())
