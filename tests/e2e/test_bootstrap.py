"""The entry points' set-up: a signal while it runs leaves none of its children behind."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from perfsuite import bootstrap


def test_stop_running_kills_the_set_up_and_its_helpers(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    # A stand-in for pip: it starts a helper of its own (as a build backend), then works.
    script = (
        f"import os, time\npid = os.fork()\nopen({str(pids)!r}, 'a').write(f'{{os.getpid()}}\\n')\ntime.sleep(60)\n"
    )
    failed: list[BaseException] = []

    def run() -> None:
        try:
            bootstrap._run([sys.executable, "-c", script])
        except subprocess.CalledProcessError as error:
            failed.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 10
    while not (pids.exists() and len(pids.read_text().split()) == 2):
        assert time.monotonic() < deadline, "the stand-in did not start"
        time.sleep(0.02)
    started = [int(pid) for pid in pids.read_text().split()]
    bootstrap.stop_running()
    worker.join(timeout=10)
    assert failed and failed[0].returncode == -9  # reported as a failed set-up, not hung
    assert bootstrap.RUNNING == []
    deadline = time.monotonic() + 5
    while any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in started):
        assert time.monotonic() < deadline, "a child of the set-up is still running"
        time.sleep(0.02)
