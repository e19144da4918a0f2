"""The code base stays clean under ruff (complexity included) and mypy (rules in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_ruff_check_is_clean() -> None:
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_is_clean() -> None:
    """mypy with pydantic's plugin over perfsuite/ (settings in pyproject.toml): 0 errors."""
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_is_clean() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "."], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
TOOLS = Path(sys.executable).parent  # actionlint and zizmor come from PyPI, into the same environment


def test_the_shipped_workflows_pass_actionlint() -> None:
    done = subprocess.run([str(TOOLS / "actionlint"), *map(str, WORKFLOWS)], cwd=REPO, capture_output=True, text=True)
    assert WORKFLOWS and done.returncode == 0, done.stdout + done.stderr


def test_the_shipped_workflows_pass_zizmors_audit() -> None:
    """Actions pinned to commits, no template injection, no credentials persisted into an artifact."""
    done = subprocess.run(
        [str(TOOLS / "zizmor"), "--offline", *map(str, WORKFLOWS)], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0 and "No findings" in done.stdout + done.stderr, done.stdout + done.stderr
