"""ManagedProcess with real child processes: readiness, failure tails, group teardown."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import psutil
import pytest

from perfsuite.process import ManagedProcess, ProcessFailed, free_port, group_members

SERVE = "import http.server, sys; http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), http.server.BaseHTTPRequestHandler).serve_forever()"

# A parent that ignores SIGTERM and forks a grandchild that ignores it too.
STUBBORN = """
import os, signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
if os.fork() == 0:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(600)
"""


def managed(tmp_path: Path, *argv: str, name: str = "child") -> ManagedProcess:
    return ManagedProcess(name, [sys.executable, *argv], log_path=tmp_path / f"{name}.log", env=dict(os.environ),
                          cwd=tmp_path)  # fmt: skip


def test_ready_when_any_http_answer(tmp_path: Path) -> None:
    port = free_port()
    proc = managed(tmp_path, "-c", SERVE, str(port))
    proc.start()
    try:
        waited = proc.wait_ready(f"http://127.0.0.1:{port}/", timeout_s=20)  # answers 501: still ready
        assert waited < 20
    finally:
        proc.stop()
    assert proc.poll() is not None


def test_exit_before_ready_carries_the_log_tail(tmp_path: Path) -> None:
    proc = managed(tmp_path, "-c", "import sys; print('boom: cannot import app'); sys.exit(3)")
    proc.start()
    with pytest.raises(ProcessFailed) as caught:
        proc.wait_ready(f"http://127.0.0.1:{free_port()}/", timeout_s=20)
    proc.stop()
    assert "exited with code 3 before it was ready" in str(caught.value)
    assert "boom: cannot import app" in str(caught.value)


def test_deadline_passes(tmp_path: Path) -> None:
    proc = managed(tmp_path, "-c", "import time; print('still starting', flush=True); time.sleep(60)")
    proc.start()
    started = time.monotonic()
    with pytest.raises(ProcessFailed, match="was not ready .* after 1 s") as caught:
        proc.wait_ready(f"http://127.0.0.1:{free_port()}/", timeout_s=1.0)
    assert time.monotonic() - started < 5
    proc.stop()
    assert "still starting" in str(caught.value)


def test_stop_escalates_to_sigkill_for_the_whole_group(tmp_path: Path) -> None:
    proc = managed(tmp_path, "-c", STUBBORN)
    proc.start()
    deadline = time.monotonic() + 10
    while "ready" not in proc.tail() and time.monotonic() < deadline:
        time.sleep(0.02)
    members = group_members(proc.pid)
    assert len(members) == 2  # parent and forked grandchild
    took = proc.stop(grace_s=0.5)
    assert 0.5 <= took < 5
    assert group_members(proc.pid) == []
    for member in members:
        assert not member.is_running() or member.status() == psutil.STATUS_ZOMBIE


def test_stop_is_quick_for_a_cooperative_child(tmp_path: Path) -> None:
    proc = managed(tmp_path, "-c", "import time; time.sleep(60)")
    proc.start()
    assert proc.stop(grace_s=5) < 2
    assert proc.stop() < 0.01  # idempotent: already stopped


def test_cpu_affinity_is_applied_before_exec(tmp_path: Path) -> None:
    cpus = sorted(os.sched_getaffinity(0))
    target = cpus[-1:]
    proc = ManagedProcess("pinned", [sys.executable, "-c", "import os; print(sorted(os.sched_getaffinity(0)))"],
                          log_path=tmp_path / "p.log", env=dict(os.environ), cwd=tmp_path, cpus=target)  # fmt: skip
    proc.start()
    assert proc.wait(timeout_s=20) == 0
    proc.stop()
    assert proc.tail().strip() == str(target)
