"""ManagedProcess with real child processes: readiness, failure tails, group teardown."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import psutil
import pytest

from perfsuite.run.process import ManagedProcess, ProcessFailed, free_port, group_members

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


def test_a_taken_port_names_its_holder_and_other_bind_errors_say_why() -> None:
    import socket

    from perfsuite.run.process import PortTaken, check_port

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        with pytest.raises(PortTaken, match=rf"port {port} on 127.0.0.1 is taken \(Address already in use\); "
                                            rf"held by pid {os.getpid()} \("):  # fmt: skip
            check_port("127.0.0.1", port)
    check_port("127.0.0.1", port)  # released: free again
    with pytest.raises(ProcessFailed, match=r"cannot listen on 10\.254\.254\.254:8000 \(Cannot assign") as caught:
        check_port("10.254.254.254", 8000)
    assert not isinstance(caught.value, PortTaken)


def test_a_failure_quotes_the_log_from_before_the_stop_and_then_what_the_stop_added(tmp_path: Path) -> None:
    script = "import signal, sys, time\n" \
             "signal.signal(signal.SIGTERM, lambda *_: (print('stopping', flush=True), sys.exit(0)))\n" \
             "print('\\n'.join(f'line {i}' for i in range(40)), flush=True)\n" \
             "time.sleep(60)\n"  # fmt: skip
    child = managed(tmp_path, "-c", script)
    child.start()
    deadline = time.monotonic() + 10
    while "line 39" not in child.tail() and time.monotonic() < deadline:
        time.sleep(0.02)
    failure = child.failure("child went wrong")
    child.stop()
    text = str(failure)
    assert text.startswith(
        "child went wrong\n--- last lines of child.log ---\nline 15\n"
    )  # the last 25 before the stop
    assert text.endswith("line 39\n--- while it was stopped ---\nstopping")


def test_a_failures_log_tail_is_bounded_by_bytes(tmp_path: Path) -> None:
    from perfsuite.run.process import STOP_BYTES, TAIL_BYTES

    log = tmp_path / "server.log"
    log.write_bytes(b"x" * 20_000_000 + b"END\n")  # one 20 MB line
    process = ManagedProcess("server", ["true"], log_path=log, env={}, cwd=tmp_path)
    text = str(process.failure("server exited with code 1"))
    assert text.startswith("server exited with code 1\n--- last lines of server.log ---\n[...]\n")
    assert text.endswith("xxxEND") and len(text) < TAIL_BYTES + STOP_BYTES + 200
