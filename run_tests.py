#!/usr/bin/env python3
"""Run the test suite: `python3 run_tests.py [pytest arguments]`.

Sets up .venv on first use (perfsuite.bootstrap), then runs pytest inside it.
"""

import sys
from pathlib import Path

from perfsuite.bootstrap import ensure_venv

if __name__ == "__main__":
    ensure_venv([str(Path(__file__).resolve()), *sys.argv[1:]])
    import pytest

    sys.exit(pytest.main(sys.argv[1:]))
