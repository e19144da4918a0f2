"""Files the suite owns, across processes: a write under a file-size limit, a lock whose holder dies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from perfsuite.io.files import (
    LOCK_FILE,
    FolderBusy,
    FolderLock,
)


def _write_under_a_size_limit(target: Path, size: int) -> subprocess.CompletedProcess[str]:
    """write_file in a child whose files may not exceed 1 KB (RLIMIT_FSIZE)."""
    code = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "from perfsuite.io.files import WriteFailed, write_file\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))\n"
        "try:\n"
        f"    write_file(Path({str(target)!r}), 'x' * {size})\n"
        "except WriteFailed as failure:\n"
        "    print(failure)\n"
        "    sys.exit(2)\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_a_write_that_fails_half_way_keeps_the_last_good_file(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("good")
    done = _write_under_a_size_limit(target, 10_000)
    assert done.returncode == 2, done.stderr
    assert done.stdout.strip() == f"cannot write {target}: File too large"
    assert target.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    assert _write_under_a_size_limit(target, 100).returncode == 0
    assert target.read_text() == "x" * 100


def test_a_lock_held_by_another_process_is_released_when_it_dies(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from pathlib import Path\nfrom perfsuite.io.files import FolderLock\n"
            f"FolderLock(Path({str(tmp_path)!r})).acquire()\nprint('held', flush=True)\nimport time\ntime.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(FolderBusy) as busy:
            FolderLock(tmp_path).acquire()
        assert busy.value.pid == holder.pid
    finally:
        holder.kill()
        holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()
    with FolderLock(tmp_path):
        assert (tmp_path / LOCK_FILE).read_text().strip() == f"{os.getpid()} another suite"
