"""What the commands share: exit codes, loading a scenario file with its
problems printed, and preparing an output folder."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from perfsuite.io.files import FolderBusy, FolderLock, not_regular
from perfsuite.plan.format import Suite
from perfsuite.plan.loader import ScenarioError, load_suite
from perfsuite.record.results import RESULTS_FILE, RUNS_FOLDER

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def load(path: str) -> Suite | None:
    """The suite, or None after printing every problem (file:line: field: message);
    what is valid but will not measure what it says is printed as a warning."""
    try:
        suite = load_suite(Path(path))
    except ScenarioError as failure:
        for problem in failure.problems:
            error(str(problem))
        return None
    for warning in suite.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return suite


def stamped(prefix: str) -> Path:
    """reports/<prefix>-<timestamp>/, absolute (children run in other folders)."""
    return (Path("reports") / f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}").resolve()


def claim_out_dir(
    out_dir: Path, force: bool = False, existing: bool = False, holder: str = "another suite"
) -> FolderLock | str:
    """The output folder, made if need be and locked for this process alone
    (perfsuite.io.files.FolderLock: a second suite, resume or rebuild there is
    refused, naming the first's pid); or why it cannot be used. A folder that
    holds results is refused unless `force`, or `existing` (a resume, a rebuild:
    a folder that must exist). Its runs/ must be a folder of its own, not a link.
    `holder` says what holds it, to a process refused it."""
    try:
        if existing and not out_dir.is_dir():
            return f"{out_dir} is not a folder"
        out_dir.mkdir(parents=True, exist_ok=True)
        lock = FolderLock(out_dir, holder).acquire()
    except FolderBusy as busy:
        return str(busy)
    except OSError as failure:
        return f"cannot write to output folder {out_dir}: {failure.strerror or failure}"
    runs = out_dir / RUNS_FOLDER
    if runs.is_symlink() or (runs.exists() and not runs.is_dir()):
        lock.release()
        return f"{runs} is not a folder of its own (a link or a file): the suite writes only inside {out_dir}"
    if not existing and not force and (out_dir / RESULTS_FILE).exists():
        lock.release()
        return f"{out_dir} already holds {RESULTS_FILE}; choose another --out or pass --force"
    return lock


def unwritable(path: Path, what: str, link_allowed: bool = True, appended: bool = False) -> str | None:
    """Why the suite could not write the file `path` at its end, checked
    before anything starts; None if it can. Nothing is left behind: a file
    is created in the folder it will be written in (where the write's own
    temporary file goes) and removed at once, so a folder that refuses new
    files (/proc, a read-only mount) is found now, not after the runs. A
    file written whole (perfsuite.io.files) replaces a link there; one the
    suite only adds to (a history, a job summary) may not be a link
    (`link_allowed=False`): it would be written through. A file only
    appended to (`appended`: a job summary) needs no new file beside it."""
    try:
        if not link_allowed and path.is_symlink():
            return f"{what} {path} is a symbolic link; name the file itself"
        if path.is_dir():
            return f"{what} {path} is a folder, not a file"
        if (problem := not_regular(path)) is not None:
            return f"{what} {path} {problem}"
        parent = path.parent
        while not parent.exists() and parent != parent.parent:  # folders are made as needed
            parent = parent.parent
        if not parent.is_dir():
            return f"{what} {path}: {parent} is not a folder"
        if path.exists() and not os.access(path, os.W_OK):
            return f"{what} {path} is not writable"
        if appended and path.exists():
            return None
        if not os.access(parent, os.W_OK | os.X_OK):
            return f"{what} {path}: cannot create files in {parent}"
        try:
            fd, probe = tempfile.mkstemp(prefix=".perfsuite-probe-", dir=parent)
        except OSError as error:
            return f"{what} {path}: cannot create files in {parent} ({error.strerror or error})"
        os.close(fd)
        os.unlink(probe)
        path.stat()  # a name too long, say, fails here rather than at the end
    except FileNotFoundError:
        return None
    except OSError as error:
        return f"{what} {path}: {error.strerror or error}"
    return None
