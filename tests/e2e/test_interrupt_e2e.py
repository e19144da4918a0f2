"""Interrupting a suite: SIGINT or SIGTERM at random moments, and a second Ctrl-C.

Whatever the moment, the suite exits within 10 s with 130 or 143, leaves no
process behind (checked by process tree, by the suite's token in each
process's environment, and by listening ports), and leaves a valid
results.json holding every run that finished, with reports written for them.
The moments are random but reproducible: set PERFSUITE_INTERRUPT_SEED to
replay a failure (the seed is in every assertion message).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from perfsuite.record.results import read_results
from tests.conftest import start_cli, strays, write_scenario

SEED = int(os.environ.get("PERFSUITE_INTERRUPT_SEED") or time.time_ns() % 1_000_000)
EXIT_WITHIN_S = 10.0


def command_line(proc: psutil.Process) -> str:
    try:
        return " ".join(proc.cmdline())
    except psutil.Error:
        return ""


class Watcher:
    """Everything a suite started, as it starts: (pid, create time) and listening ports."""

    def __init__(self, suite_pid: int) -> None:
        self.suite = psutil.Process(suite_pid)
        self.seen: dict[int, float] = {}
        self.ports: set[int] = set()
        self.addresses: set[str] = set()

    def poll(self) -> None:
        try:
            children = self.suite.children(recursive=True)
        except psutil.Error:
            return
        for proc in [*children, *strays(self.suite.pid)]:
            try:
                self.seen.setdefault(proc.pid, proc.create_time())
                for conn in proc.net_connections(kind="inet"):
                    if conn.status == psutil.CONN_LISTEN:
                        self.ports.add(conn.laddr.port)
                        self.addresses.add(conn.laddr.ip)
            except psutil.Error:
                continue

    def alive(self, within_s: float = 3.0) -> list[str]:
        """What it started that is still running `within_s` after the suite's
        exit (the suite's watchdog takes a moment to see the exit and leave)."""
        deadline = time.monotonic() + within_s
        while True:
            left = []
            for pid, created in self.seen.items():
                try:
                    proc = psutil.Process(pid)
                    if proc.create_time() == created and proc.status() != psutil.STATUS_ZOMBIE:
                        left.append(f"{pid} {command_line(proc)}")
                except psutil.NoSuchProcess:
                    continue
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.05)

    def listening(self) -> set[int]:
        return {
            c.laddr.port for c in psutil.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN
        } & self.ports


def handlers_installed(pid: int) -> bool:
    """The entry point catches SIGTERM (Python itself catches only SIGINT at start)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), 16)
    return bool(caught & (1 << (signal.SIGTERM - 1)))


def runs_finished(out: Path) -> int:
    try:
        return len(read_results(out).runs)
    except (OSError, ValueError):
        return -1  # not written yet


# Where a moment is counted from: the entry point's handlers in place, the
# suite's results.json written (the first run starting), the first run finished.
ANCHORS: dict[str, Callable[[subprocess.Popen[str], Path], bool]] = {
    "start": lambda suite, out: handlers_installed(suite.pid),
    "first run starts": lambda suite, out: runs_finished(out) >= 0,
    "first run finished": lambda suite, out: runs_finished(out) >= 1,
}


def interrupt_at(
    scenario: Path, out: Path, anchor: str, moment: float, signum: int
) -> tuple[subprocess.Popen[str], str, float, Watcher]:
    """Signal a suite `moment` s after `anchor`; returns it, its stderr, the
    seconds from signal to exit (-1: it ended before the moment) and what it started."""
    suite = start_cli(str(scenario), "--out", str(out), "--no-history")
    watcher = Watcher(suite.pid)
    deadline = time.monotonic() + 60
    while not ANCHORS[anchor](suite, out):
        assert suite.poll() is None and time.monotonic() < deadline, suite.communicate()
        watcher.poll()
        time.sleep(0.005 if anchor == "start" else 0.02)
    at = time.monotonic() + moment
    while time.monotonic() < at and suite.poll() is None:
        watcher.poll()
        time.sleep(0.02)
    watcher.poll()
    sent = time.monotonic()
    if suite.poll() is None:
        suite.send_signal(signum)
    else:
        sent = -1.0
    try:
        _, err = suite.communicate(timeout=60)
    finally:
        if suite.poll() is None:
            suite.kill()
    return suite, err, (time.monotonic() - sent) if sent >= 0 else -1.0, watcher


def test_interrupts_at_random_moments(tmp_path: Path, repo: Path) -> None:
    scenario = write_scenario(
        tmp_path,
        f"""\
        servers:
          g: {{server: gunicorn, app: apps.wsgi_app:app, workers: 2, app_dir: {repo}}}
          u: {{server: uvicorn, app: apps.asgi_app:app, app_dir: {repo}}}
        scenarios:
          - name: io
            users: 2
            warmup: 0.3s
            duration: 1s
            upstream: {{delay_ms: 20}}
            mix: [{{name: io, path: /io/sequential?calls=1}}]
        """,
    )
    rng = random.Random(SEED)
    # Counted from events, so the phases are covered on a fast machine and a slow
    # one: the first run's start-up, readiness, load and teardown; then the
    # second's, and the reports.
    plan = [
        ("first run starts", 0.0, 0.8),
        ("first run starts", 0.8, 1.6),
        ("first run finished", 0.0, 0.8),
        ("first run finished", 0.8, 1.6),
        ("first run finished", 1.6, 3.2),
    ]
    moments = [(anchor, rng.uniform(low, high)) for anchor, low, high in plan]
    interrupted_runs = set()
    for attempt, (anchor, moment) in enumerate(moments):
        signum = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)[attempt % 3]
        why = f"seed {SEED}, attempt {attempt}: {signal.Signals(signum).name} {moment:.2f} s after {anchor}"
        out = tmp_path / f"out{attempt}"
        suite, err, took, watcher = interrupt_at(scenario, out, anchor, moment, signum)
        if took < 0:  # a fast machine finished first: a complete suite, nothing to check here
            assert suite.returncode in (0, 3) and len(read_results(out).runs) == 2, (why, err)
            continue
        assert took < EXIT_WITHIN_S, (why, took)
        assert "Traceback" not in err, (why, err)
        assert suite.returncode == 128 + signum, (why, suite.returncode, err)
        assert watcher.seen, (why, "the watcher saw nothing started")
        assert watcher.addresses <= {"127.0.0.1"}, (why, "servers and upstream listen on loopback only")
        assert watcher.alive() == [], (why, "left running", watcher.alive())
        assert strays(suite.pid) == [], why
        assert watcher.listening() == set(), (why, "still listening", watcher.listening())
        results = read_results(out)  # valid against the model, current schema_version
        finished = [run.index for run in results.runs]
        assert finished == list(range(1, len(finished) + 1)), why  # every finished run, in order
        assert all(run.status == "ok" and run.requests > 0 for run in results.runs), why
        assert results.interrupted == (len(finished) < 2), why
        started = sorted(int(path.name[:3]) for path in (out / "runs").glob("*")) if (out / "runs").exists() else []
        assert started in ([*finished], [*finished, len(finished) + 1]), (why, started)  # at most one cut short
        report = (out / "report.md").read_text()
        assert f"{len(finished)} of 2 planned runs" in report, (why, report[:200])
        assert (out / "report.html").exists(), why
        interrupted_runs.add(len(finished))
    # The moments span the suite: some attempts stopped it before any run finished, some after.
    assert len(interrupted_runs) >= 2, (f"seed {SEED}", moments, interrupted_runs)


def test_interrupt_while_starting_up(tmp_path: Path) -> None:
    # Before any run: while Python imports, the file loads, the folder is made.
    scenario = write_scenario(
        tmp_path,
        "servers:\n  u: {server: uvicorn, app: apps.asgi_app:app}\nscenarios:\n  - {name: a, mix: [{name: f, path: /f}]}\n",
    )
    rng = random.Random(SEED)
    for attempt, signum in enumerate((signal.SIGINT, signal.SIGTERM)):
        moment = rng.uniform(0.0, 0.6)
        why = f"seed {SEED}: {signal.Signals(signum).name} {moment:.2f} s after the handlers were installed"
        out = tmp_path / f"out{attempt}"
        suite, err, took, _ = interrupt_at(scenario, out, "start", moment, signum)
        if took < 0:
            continue
        assert took < EXIT_WITHIN_S and suite.returncode == 128 + signum, (why, suite.returncode, err)
        assert "Traceback" not in err, (why, err)
        assert strays(suite.pid) == [], why
        if out.exists():  # the command had begun: what it wrote is complete
            assert read_results(out).runs == [] and (out / "report.md").exists(), why


def test_a_second_ctrl_c_kills_at_once(tmp_path: Path, repo: Path) -> None:
    # A sync worker in the middle of a 30 s request, with a graceful timeout of
    # 30 s: the first Ctrl-C's teardown waits its grace period (5 s) for it.
    scenario = write_scenario(
        tmp_path,
        f"""\
        servers:
          g: {{server: gunicorn, app: apps.wsgi_app:app, args: [--graceful-timeout, "30"], app_dir: {repo}}}
        scenarios:
          - {{name: slow, users: 1, warmup: 0, duration: 60s, mix: [{{name: slow, path: /slow?delay_ms=30000}}]}}
        """,
    )
    out = tmp_path / "out"
    suite = start_cli(str(scenario), "--out", str(out), "--no-history")
    try:
        deadline = time.monotonic() + 30
        busy: psutil.Process | None = None
        while busy is None:
            assert suite.poll() is None and time.monotonic() < deadline, suite.communicate()
            for proc in strays(suite.pid):
                try:
                    if "gunicorn" in command_line(proc) and any(
                        c.status == psutil.CONN_ESTABLISHED for c in proc.net_connections(kind="tcp")
                    ):
                        busy = proc  # the worker holds Locust's request
                except psutil.Error:
                    continue
            time.sleep(0.05)
        suite.send_signal(signal.SIGINT)
        # The teardown has begun once Locust is gone; the busy worker holds it in its grace period.
        while any("locust" in command_line(p) for p in strays(suite.pid)):
            assert time.monotonic() < deadline, "the first Ctrl-C did not start the teardown"
            time.sleep(0.05)
        assert suite.poll() is None, "the graceful teardown should still be waiting for the busy worker"
        assert busy.is_running(), "the busy worker is still serving"
        sent = time.monotonic()
        suite.send_signal(signal.SIGINT)
        _, err = suite.communicate(timeout=10)
        took = time.monotonic() - sent
    finally:
        if suite.poll() is None:
            suite.kill()
    assert suite.returncode == 130, err
    assert took < 2.0, f"the second Ctrl-C took {took:.1f} s"
    assert strays(suite.pid) == []
    assert not busy.is_running() or busy.status() == psutil.STATUS_ZOMBIE
    assert read_results(out).runs == []  # results.json as it was; the run never finished


STUBBORN_APP = """\
import signal


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # after the server installed its handlers: this worker ignores SIGTERM and SIGINT
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})
"""


@pytest.mark.parametrize("server", ["uvicorn", "gunicorn"])
def test_sigkill_of_the_suite_leaves_no_process(tmp_path: Path, server: str) -> None:
    """Killed with SIGKILL mid-run, no teardown runs: the watchdog ends the
    server's whole group, workers that ignore SIGTERM included, within 10 s."""
    (tmp_path / "stubborn.py").write_text(STUBBORN_APP)
    worker = ", worker_class: uvicorn" if server == "gunicorn" else ""
    scenario = write_scenario(
        tmp_path,
        f"""\
        servers:
          s: {{server: {server}, app: stubborn:app, workers: 2, interface: asgi, app_dir: .{worker}}}
        scenarios:
          - {{name: hold, users: 2, warmup: 0, duration: 60s, mix: [{{name: root, path: /}}]}}
        """,
    )
    suite = start_cli(str(scenario), "--out", str(tmp_path / "out"), "--no-history")
    watcher = Watcher(suite.pid)
    try:
        deadline = time.monotonic() + 60
        while not list((tmp_path / "out").glob("runs/*/locust_stats_history.csv")) or len(strays(suite.pid)) < 4:
            assert suite.poll() is None and time.monotonic() < deadline, suite.communicate()
            watcher.poll()
            time.sleep(0.05)
        time.sleep(1.0)  # requests flowing, every worker up and ignoring SIGTERM
        watcher.poll()
        started = strays(suite.pid)
        assert len(started) >= 4, [command_line(p) for p in started]  # server master, 2 workers, Locust
        suite.kill()
        suite.communicate()
        killed = time.monotonic()
        while strays(suite.pid) and time.monotonic() - killed < EXIT_WITHIN_S:
            time.sleep(0.1)
        left = strays(suite.pid)
    finally:
        if suite.poll() is None:
            suite.kill()
    assert left == [], [command_line(p) for p in left]
    assert watcher.alive(within_s=EXIT_WITHIN_S - (time.monotonic() - killed)) == []
