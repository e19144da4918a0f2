"""The one place that owns child processes: start, wait_ready, wait, stop.

Every child runs in its own session (so its process group is its pid), with
output to a log file. Stopping is one escalating path: the child's stop signal
(SIGTERM unless its server kind names another) to the group, a
grace period, SIGKILL, reap. LIVE holds every started, unstopped process so a
forced exit can kill them all; the watchdog (perfsuite.run.watchdog) ends
them if the suite itself is killed.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
import psutil

from perfsuite.plan.hosts import bind_problem
from perfsuite.run.lifecycle import STOP
from perfsuite.run.watchdog import WATCHDOG

POLL_S = 0.01  # waits for a child (every run waits on Locust: its end is seen within this)
PROBE_S = 0.01  # readiness probes
LOG_TAIL_LINES = 25
STOP_LINES = 8
TAIL_BYTES = 8192  # a log of one 20 MB line must not become a 20 MB error in results.json
STOP_BYTES = 2048
_PR_SET_PDEATHSIG = 1


class ProcessFailed(Exception):
    """A child failed; its text ends with the tail of the child's log, read
    when the text is taken (after teardown, the log has everything)."""

    def __init__(self, message: str, process: ManagedProcess | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.process = process

    def __str__(self) -> str:
        if self.process is None:
            return self.message
        before, after = self.process.log_lines()
        text = self.message
        if before:
            text += f"\n--- last lines of {self.process.log_path.name} ---\n" + "\n".join(before[-LOG_TAIL_LINES:])
        if after:  # what it said while being stopped: a late line may be the cause
            text += "\n--- while it was stopped ---\n" + "\n".join(after[:STOP_LINES])
        return text


class NotReady(ProcessFailed):
    """Nothing answered HTTP before the deadline."""


class Overran(ProcessFailed):
    """A child that should have ended did not, within its time."""


class PortTaken(ProcessFailed):
    """The port a config asks for is bound by another process."""


WILDCARDS = {"0.0.0.0": "127.0.0.1"}  # a server bound to every address is reached on loopback


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def check_port(host: str, port: int) -> None:
    """Raise PortTaken, naming the holder, if another process has `port` on
    `host` (ProcessFailed for any other reason it cannot be bound).

    Checked before the server starts: a server that cannot bind may retry for
    seconds, and another HTTP server on that port would pass the readiness probe.
    """
    error = bind_problem(host, port)
    if error is None:
        return
    reason = error.strerror or str(error)
    if error.errno != errno.EADDRINUSE:
        raise ProcessFailed(f"cannot listen on {host}:{port} ({reason})")
    holders = []
    with contextlib.suppress(psutil.Error):
        for conn in psutil.net_connections(kind="inet"):
            if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
                with contextlib.suppress(psutil.Error):
                    holders.append(f"pid {conn.pid} ({' '.join(psutil.Process(conn.pid).cmdline())[:120]})")
    held = f"; held by {', '.join(sorted(set(holders)))}" if holders else ""
    raise PortTaken(f"port {port} on {host} is taken ({reason}){held}")


def describe_exit(code: int) -> str:
    """'exited with code 1' or 'was killed by SIGKILL'."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"


def _child_setup(cpus: Sequence[int] | None) -> Callable[[], None]:
    def setup() -> None:
        # If the suite dies without its teardown (SIGKILL), take the child with it.
        with contextlib.suppress(Exception):
            ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if cpus:
            os.sched_setaffinity(0, cpus)

    return setup


def wait_for_http(url: str, timeout_s: float, check: Callable[[], None] | None = None) -> float:
    """Probe `url` until any HTTP answer (a 404 counts: something serves HTTP)
    against a deadline; `check` may raise to stop early. Returns seconds taken."""
    started = time.monotonic()
    deadline = started + timeout_s
    with httpx.Client(timeout=1.0) as client:
        while True:
            STOP.check()
            if check is not None:
                check()
            try:
                client.get(url)
                return time.monotonic() - started
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise NotReady(f"nothing answered HTTP at {url} within {timeout_s:g} s")
            time.sleep(PROBE_S)


def group_members(pgid: int) -> list[psutil.Process]:
    """Living (non-zombie) processes in a process group."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return []
    except PermissionError:
        pass
    members = []
    for proc in psutil.process_iter(["status"]):
        try:
            if proc.info["status"] != psutil.STATUS_ZOMBIE and os.getpgid(proc.pid) == pgid:
                members.append(proc)
        except (ProcessLookupError, psutil.Error):
            continue
    return members


class ManagedProcess:
    """A child process in its own process group, logging to a file."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_path: Path,
        env: dict[str, str],
        cwd: Path,
        cpus: Sequence[int] | None = None,
        pass_fds: Sequence[int] = (),
        stop_signal: int = signal.SIGTERM,
    ) -> None:
        self.name = name
        self.stop_signal = stop_signal  # what starts its stop (then grace, then SIGKILL)
        self.pass_fds = tuple(pass_fds)  # inherited by the child under the same numbers
        self.argv = list(argv)
        self.log_path = log_path
        self.env = env
        self.cwd = cwd
        self.cpus = list(cpus) if cpus else None
        self._popen: subprocess.Popen[bytes] | None = None
        self._stopped = False
        self._log_mark: int | None = None  # the log's size when the stop began
        self._terminated = False  # the stop signal sent (once)

    @property
    def started(self) -> bool:
        return self._popen is not None

    @property
    def pid(self) -> int:
        assert self._popen is not None, "not started"
        return self._popen.pid

    def start(self) -> None:
        WATCHDOG.start()  # before the child: a SIGKILL of the suite at any moment leaves nothing
        with open(self.log_path, "ab") as log:
            self._popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.cwd,
                env=self.env,
                start_new_session=True,
                pass_fds=self.pass_fds,
                preexec_fn=_child_setup(self.cpus),
            )
        LIVE.add(self)
        WATCHDOG.watch(self._popen.pid)  # its group outlives the suite by GRACE_S at most

    def poll(self) -> int | None:
        return None if self._popen is None else self._popen.poll()

    def tail(self, lines: int = LOG_TAIL_LINES) -> str:
        before, after = self.log_lines()
        return "\n".join([*before, *after][-lines:])

    def failure(self, message: str) -> ProcessFailed:
        return ProcessFailed(message, self)

    def wait_ready(self, url: str, timeout_s: float, also: Callable[[], None] | None = None) -> float:
        """Probe `url` until any HTTP answer; return the seconds it took.
        `also` may raise to stop early (another child died meanwhile)."""

        def exited() -> None:
            code = self.poll()
            if code is not None:
                raise self.failure(f"{self.name} {describe_exit(code)} before it was ready")
            if also is not None:
                also()

        try:
            return wait_for_http(url, timeout_s, exited)
        except NotReady:
            raise self.failure(f"{self.name} was not ready at {url} after {timeout_s:g} s") from None

    def wait(
        self, timeout_s: float, on_tick: Callable[[], None] | None = None, check: Callable[[], None] | None = None
    ) -> int:
        """Wait for the process to exit on its own; raise if it takes longer.
        `check` may raise to stop waiting (a fault elsewhere)."""
        deadline = time.monotonic() + timeout_s
        while True:
            STOP.check()
            if check is not None:
                check()
            if on_tick is not None:
                on_tick()
            code = self.poll()
            if code is not None:
                return code
            if time.monotonic() > deadline:
                raise Overran(f"{self.name} did not finish within {timeout_s:g} s", self)
            time.sleep(POLL_S)

    def stop(self, grace_s: float = 5.0) -> float:
        """SIGTERM the group, wait up to `grace_s`, SIGKILL, reap. Returns seconds taken."""
        return stop_all([self], grace_s)

    def log_lines(self) -> tuple[list[str], list[str]]:
        """The log's last lines from before the stop began, and its first from
        after; bounded by bytes (TAIL_BYTES, STOP_BYTES), whatever the log holds."""
        try:
            with open(self.log_path, "rb") as log:
                size = log.seek(0, os.SEEK_END)
                mark = size if self._log_mark is None else min(self._log_mark, size)
                start = max(0, mark - TAIL_BYTES)
                log.seek(start)
                before, after = log.read(mark - start), log.read(STOP_BYTES)
        except OSError:
            return [], []

        def lines(chunk: bytes) -> list[str]:
            return chunk.decode("utf-8", errors="replace").rstrip().splitlines()

        cut = ["[...]"] if start else []
        return [*cut, *lines(before)], lines(after)

    def begin_stop(self) -> None:
        """Signal the group (SIGTERM, or its stop signal) and return at once; stop_all finishes the stop."""
        self._terminate()

    def _terminate(self) -> None:
        if self._popen is not None and not self._stopped and not self._terminated:
            self._terminated = True
            with contextlib.suppress(OSError):
                self._log_mark = self.log_path.stat().st_size
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._popen.pid, self.stop_signal)

    def _gone(self) -> bool:
        if self._popen is None or self._stopped:
            return True
        self._popen.poll()  # reap the leader so it stops counting as a member
        return self._popen.returncode is not None and not group_members(self._popen.pid)

    def _finish(self) -> None:
        if self._popen is not None and not self._stopped:
            if not self._gone():
                self.kill()
            WATCHDOG.forget(self._popen.pid)  # its group is empty; told before the leader's pid can be reused
            self._popen.wait()
        self._stopped = True
        LIVE.discard(self)

    def kill(self, wait_s: float = 5.0) -> None:
        """SIGKILL the whole group at once (the forced path), and wait until every
        member is gone: a kill is delivered asynchronously, to non-leaders too."""
        if self._popen is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._popen.pid, signal.SIGKILL)
        for proc in group_members(self._popen.pid):
            with contextlib.suppress(psutil.Error):
                proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._popen.wait(timeout=wait_s)
        deadline = time.monotonic() + wait_s
        while group_members(self._popen.pid) and time.monotonic() < deadline:
            time.sleep(0.01)


LIVE: set[ManagedProcess] = set()


def stop_all(processes: list[ManagedProcess], grace_s: float = 5.0) -> float:
    """The one stop path: every group signalled at once, one shared grace period,
    then SIGKILL whatever is left, and reap. Returns the seconds it took."""
    started = time.monotonic()
    for process in processes:
        process._terminate()
    deadline = started + grace_s
    while time.monotonic() < deadline and not all(process._gone() for process in processes):
        time.sleep(0.02)
    for process in processes:
        process._finish()
    return time.monotonic() - started


def kill_all() -> None:
    for proc in list(LIVE):
        proc.kill()
