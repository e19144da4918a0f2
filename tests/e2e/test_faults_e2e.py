"""Faults during a suite, each injected for real into one run of one suite:
that run is marked error with the reason and the tail of the log that shows
it, the suite goes on, every other run is intact, the exit code is 1, and no
process is left."""

from __future__ import annotations

import itertools
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from tests.conftest import read_json, start_cli, strays, write_scenario

LONG_S = 60  # the faulted runs' window: a run that ends early was ended by the fault


def leaders(suite_pid: int) -> list[psutil.Process]:
    """The suite's children that lead their process group (server, upstream, Locust)."""
    return [p for p in strays(suite_pid) if os.getpgid(p.pid) == p.pid]


def one(processes: list[psutil.Process], needle: str) -> psutil.Process:
    found = [p for p in processes if needle in " ".join(p.cmdline())]
    assert len(found) == 1, [p.cmdline() for p in processes]
    return found[0]


def wait_for(what: Callable[[], object], timeout: float, suite: subprocess.Popen[str]) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert suite.poll() is None, "the suite ended early"
        found = what()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out")


def sending(out: Path, index: int) -> Callable[[], bool]:
    """Locust of run `index` has written a stats row: requests are flowing."""

    def check() -> bool:
        history = list(out.glob(f"runs/{index:03d}-*/locust_stats_history.csv"))
        return bool(history) and len(history[0].read_text().splitlines()) >= 2

    return check


def test_each_fault_fails_its_run_and_the_suite_goes_on(tmp_path: Path, repo: Path) -> None:
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen()
    taken = held.getsockname()[1]
    scenario = write_scenario(
        tmp_path,
        f"""\
        servers:
          master:   {{server: gunicorn, app: apps.wsgi_app:app, workers: 2, app_dir: {repo}}}
          worker:   {{server: gunicorn, app: apps.wsgi_app:app, workers: 2, app_dir: {repo}}}
          upstream: {{server: uvicorn, app: apps.asgi_app:app, app_dir: {repo}}}
          locust:   {{server: uvicorn, app: apps.asgi_app:app, app_dir: {repo}}}
          port:     {{server: gunicorn, app: apps.wsgi_app:app, port: {taken}, app_dir: {repo}}}
          broken:   {{server: gunicorn, app: broken_app:app, interface: wsgi, app_dir: {repo / "tests/data/apps"}}}
          hang:     {{server: uvicorn, app: hang_app:app, ready_timeout: 1s, app_dir: {repo / "tests/data/apps"}}}
          good:     {{server: uvicorn, app: apps.asgi_app:app, app_dir: {repo}}}
        scenarios:
          - name: faults
            servers: [master, worker, upstream, locust, port, broken, hang]
            users: 4
            warmup: 0
            duration: {LONG_S}s
            upstream: {{delay_ms: 20}}
            mix: [{{name: io, path: /io/sequential?calls=1}}]
          - {{name: crash, servers: [good], users: 1, duration: 1s, locustfile: crash.py}}
          - {{name: after, servers: [good], users: 2, warmup: 0, duration: 1s, mix: [{{name: slow, path: /slow?delay_ms=50}}]}}
        """,
    )
    (tmp_path / "crash.py").write_text("raise RuntimeError('this locustfile fails on purpose')\n")
    out = tmp_path / "out"
    suite = start_cli(str(scenario), "--out", str(out))
    killed: dict[str, int] = {}
    try:
        # Run 1: the server's master. Run 2: one of its workers. Run 3: the upstream. Run 4: Locust.
        for index, role in enumerate(("master", "worker", "upstream", "locust"), start=1):
            wait_for(sending(out, index), 30, suite)
            group = leaders(suite.pid)
            if role == "master":
                victim = one(group, "gunicorn")
            elif role == "worker":
                victim = one(group, "gunicorn").children()[0]
            elif role == "upstream":
                victim = one(group, "apps.upstream:app")
            else:
                victim = one(group, "locust")
            killed[role] = victim.pid
            victim.send_signal(signal.SIGKILL)
        _, err = suite.communicate(timeout=300)
    finally:
        if suite.poll() is None:
            suite.kill()
        held.close()
    assert suite.returncode == 1, err
    assert not re.search(r'File "[^"]*/perfsuite/', err), err  # the suite's own code never raised out
    # The terminal shows the end of the log that explains a failed run, not just its first line.
    assert "    ModuleNotFoundError: No module named 'no_such_dependency'" in err
    assert strays(suite.pid) == []
    results = read_json(out / "results.json")["runs"]
    crash = results.pop(-2)
    runs = {run["server"]: run for run in results}
    assert list(runs) == ["master", "worker", "upstream", "locust", "port", "broken", "hang", "good"]
    assert crash["status"] == "error" and crash["error"].startswith(
        "Locust exited with code 1\n--- last lines of locust.log"
    )
    assert "RuntimeError: this locustfile fails on purpose" in crash["error"]
    errors = {name: run["error"] or "" for name, run in runs.items()}
    # Each fault ended its run at once, not at the end of its window.
    starts = [run["started_at"] for run in results]
    for name, took in zip(runs, (b - a for a, b in itertools.pairwise(starts)), strict=False):
        assert took < LONG_S / 2, (name, took)
    for name in ("master", "worker", "upstream", "locust", "port", "broken", "hang"):
        assert runs[name]["status"] == "error", (name, runs[name])

    assert errors["master"].startswith("server was killed by SIGKILL during the run\n--- last lines of server.log ---")
    assert "Booting worker" in errors["master"]

    pid = killed["worker"]
    assert errors["worker"].startswith(f"a server worker (pid {pid}) exited during the run"), errors["worker"]
    assert f"Worker (pid:{pid}) was sent SIGKILL" in errors["worker"]  # gunicorn's own line, from server.log

    assert errors["upstream"].startswith(
        "upstream was killed by SIGKILL during the run\n--- last lines of upstream.log"
    )
    assert "Uvicorn running on http://127.0.0.1:" in errors["upstream"]

    assert errors["locust"].startswith("Locust was killed by SIGKILL\n--- last lines of locust.log ---")
    assert "Starting Locust" in errors["locust"]

    assert errors["port"].startswith(
        f"port {taken} on 127.0.0.1 is taken (Address already in use); held by pid {os.getpid()}"
    )
    assert runs["port"]["overhead"]["teardown_s"] < 1, "nothing was started for it"

    assert errors["broken"].startswith("server exited with code 3 before it was ready\n--- last lines of server.log")
    assert "No module named 'no_such_dependency'" in errors["broken"]

    assert errors["hang"].startswith("server was not ready at http://127.0.0.1:")
    assert "after 1 s\n--- last lines of server.log ---\nhang_app: importing, and never finishing" in errors["hang"]

    assert runs["good"]["status"] == "ok" and runs["good"]["requests"] > 0 and runs["good"]["failures"] == 0
    report = (out / "report.md").read_text()
    assert "Failed runs" in report and f"a server worker (pid {pid}) exited during the run" in report
