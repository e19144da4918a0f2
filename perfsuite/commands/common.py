"""What the commands share: exit codes, loading a scenario file with its
problems printed, and preparing an output folder."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from perfsuite.record.results import RESULTS_FILE
from perfsuite.spec.format import Suite
from perfsuite.spec.loader import ScenarioError, load_suite

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def load(path: str) -> Suite | None:
    """The suite, or None after printing every problem (file:line: field: message)."""
    try:
        return load_suite(Path(path))
    except ScenarioError as failure:
        for problem in failure.problems:
            error(str(problem))
        return None


def stamped(prefix: str) -> Path:
    """reports/<prefix>-<timestamp>/, absolute (children run in other folders)."""
    return (Path("reports") / f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}").resolve()


def prepare_out_dir(out_dir: Path, force: bool) -> str | None:
    """Create the output folder; an error message if it cannot be used."""
    if (out_dir / RESULTS_FILE).exists() and not force:
        return f"{out_dir} already holds {RESULTS_FILE}; choose another --out or pass --force"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as failure:
        return f"cannot write to output folder {out_dir}: {failure.strerror or failure}"
    return None


def unwritable(path: Path, what: str) -> str | None:
    """Why the suite could not write the file `path` at its end, checked
    before anything starts (nothing is created); None if it can."""
    try:
        if path.is_dir():
            return f"{what} {path} is a folder, not a file"
        parent = path.parent
        while not parent.exists() and parent != parent.parent:  # folders are made as needed
            parent = parent.parent
        if not parent.is_dir():
            return f"{what} {path}: {parent} is not a folder"
        if path.exists():
            if not os.access(path, os.W_OK):
                return f"{what} {path} is not writable"
            if parent == path.parent and not os.access(parent, os.W_OK | os.X_OK):
                return f"{what} {path}: cannot create files beside it in {parent} (SQLite's journal, a rename)"
            return None
        if not os.access(parent, os.W_OK | os.X_OK):
            return f"{what} {path}: cannot create files in {parent}"
        path.stat()  # a name too long, say, fails here rather than at the end
    except FileNotFoundError:
        return None
    except OSError as error:
        return f"{what} {path}: {error.strerror or error}"
    return None
