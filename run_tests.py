#!/usr/bin/env python3
"""Run the test suite: `python3 run_tests.py [--fast] [pytest arguments]`.

Sets up .venv on first use (perfsuite.bootstrap), then runs pytest inside it.
--fast runs every test that starts no process of the suite's (tests/unit/
and tests/lint/; not tests/e2e/): under a minute here.
"""

import sys
from pathlib import Path

from perfsuite.bootstrap import ensure_venv

if __name__ == "__main__":
    ensure_venv([str(Path(__file__).resolve()), *sys.argv[1:]])
    import pytest

    arguments = sys.argv[1:]
    if "--fast" in arguments:
        arguments = [arg for arg in arguments if arg != "--fast"] + ["-m", "not e2e"]
    sys.exit(pytest.main(arguments))
