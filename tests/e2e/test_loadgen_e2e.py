"""Load from several processes and from workers elsewhere (loopback here):
the master's totals in results.json equal the sum of what the workers sent.

Without warm-up the equality is exact (each worker flushes its last numbers
when the master quits); a warm-up reset may let one in-flight report per
worker (at most 0.25 s of warm-up) through, so these tests run without one."""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from perfsuite.run.process import free_port
from tests.conftest import REPO, read_json, run_cli, start_cli, strays, write_scenario


def test_two_local_processes(tmp_path: Path) -> None:
    scenario = write_scenario(
        tmp_path,
        """\
        servers:
          u: {server: uvicorn, app: apps.asgi_app:app}
        scenarios:
          - name: spread
            users: 8
            warmup: 0
            duration: 2s
            loadgen: {processes: 2}
            mix: [{name: slow, path: /slow?delay_ms=20}]
        """,
    )
    out = tmp_path / "out"
    done = run_cli(str(scenario), "--out", str(out))
    # Without warm-up Locust's start-up is inside the window, so the model may
    # rightly call the run inconclusive (3); it must not fail (1).
    assert done.returncode in (0, 3), done.stderr
    (run,) = read_json(out / "results.json")["runs"]
    sent = run["loadgen"]["worker_requests"]
    assert run["status"] == "ok" and run["loadgen"]["processes"] == 2 and len(sent) == 2 and all(n > 0 for n in sent)
    assert run["requests"] == sum(sent)
    assert run["rps"] == pytest.approx(8 / 0.02, rel=0.2)  # 8 users, 20 ms each
    assert run["loadgen_resources"]["processes"] == 3  # master and two workers, all sampled


def with_workers(suite: subprocess.Popen[str], locustfile: str, count: int = 2) -> tuple[list[str], str]:
    """Follow the suite's printed worker command, as a user on other machines
    would: start `count` workers, wait for the suite; (the command, its stderr)."""
    workers: list[subprocess.Popen[bytes]] = []
    try:
        command = None
        deadline = time.monotonic() + 60
        while command is None:
            assert suite.poll() is None and time.monotonic() < deadline, "the suite printed no worker command"
            line = suite.stderr.readline()  # type: ignore[union-attr]
            if line.strip().startswith(f"locust -f locustfiles/{locustfile} --worker"):
                command = shlex.split(line.strip())
        for _ in range(count):
            workers.append(
                subprocess.Popen(
                    [sys.executable, "-m", *command], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
        _, err = suite.communicate(timeout=120)
        for worker in workers:
            assert worker.wait(timeout=30) == 0  # workers leave when the master quits
        return command, err
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()


def test_a_master_and_two_workers_on_loopback(tmp_path: Path) -> None:
    port = free_port()
    scenario = write_scenario(
        tmp_path,
        f"""\
        servers:
          u: {{server: uvicorn, app: apps.asgi_app:app}}
        scenarios:
          - name: spread
            users: 6
            warmup: 0
            duration: 2s
            loadgen: {{workers: 2, master_bind: "127.0.0.1:{port}"}}
            mix: [{{name: slow, path: /slow?delay_ms=20}}]
        """,
    )
    out = tmp_path / "out"
    suite = start_cli(str(scenario), "--out", str(out))
    command, err = with_workers(suite, "mix.py")
    assert command == ["locust", "-f", "locustfiles/mix.py", "--worker", "--master-host", "127.0.0.1",
                       "--master-port", str(port)]  # fmt: skip
    assert suite.returncode in (0, 3), err  # no warm-up: the model may rightly say inconclusive
    (run,) = read_json(out / "results.json")["runs"]
    sent = run["loadgen"]["worker_requests"]
    assert run["status"] == "ok" and run["loadgen"]["workers"] == 2 and len(sent) == 2 and all(n > 0 for n in sent)
    assert run["requests"] == sum(sent)
    assert strays(suite.pid) == []


def test_processes_and_workers_do_not_combine(tmp_path: Path) -> None:
    scenario = write_scenario(
        tmp_path,
        "servers:\n  u: {server: uvicorn, app: a:b}\nscenarios:\n"
        "  - {name: a, loadgen: {processes: 2, workers: 2}, mix: [{name: f, path: /f}]}\n",
    )
    done = run_cli("validate", str(scenario))
    assert (
        done.returncode == 2
        and "scenarios.0.loadgen: processes (here) and workers (elsewhere) do not combine" in done.stderr
    )


def test_an_open_scenario_on_two_workers_elsewhere(tmp_path: Path) -> None:
    """The master splits the rate over workers it does not start; their counts reach it in their reports."""
    port = free_port()
    scenario = write_scenario(
        tmp_path,
        f"""\
        servers:
          u: {{server: uvicorn, app: apps.asgi_app:app}}
        scenarios:
          - name: arrivals
            mode: open
            rate: 40
            warmup: 0
            duration: 3s
            loadgen: {{workers: 2, master_bind: "127.0.0.1:{port}"}}
            mix: [{{name: slow, path: /slow?delay_ms=20}}]
        """,
    )
    out = tmp_path / "out"
    suite = start_cli(str(scenario), "--out", str(out), "--no-history")
    _, err = with_workers(suite, "open.py")
    assert suite.returncode in (0, 3), err
    (run,) = read_json(out / "results.json")["runs"]
    o = run["open"]
    assert run["status"] == "ok" and o["offered"] == o["completed"] + o["failed"] + o["unfinished"] + o["dropped"]
    assert o["offered"] == pytest.approx(40 * 3, rel=0.1), o  # 20/s from each, not 40/s from each
    assert o["failed"] == 0 and 20 <= run["latency_ms"]["p50"] < 40
    # The totals are the workers' sum (exactly so without a warm-up: see "load beyond one process").
    assert run["requests"] == sum(run["loadgen"]["worker_requests"])
    assert strays(suite.pid) == []
