"""The measured window, as a Locust plugin file (defines no users).

Loaded by mix.py and burst.py, and put in front of a user's own locustfile by
the suite (`-f locustfiles/_window.py,own.py`). It adds:
  --warmup S       run S seconds, then reset every statistic
  --duration S     then measure S seconds and quit (0: run until -t or Ctrl-C)
  --timing-file F  write the wall-clock marks Locust does not record: first
                   request sent, last response received, the measured window
  --errors-file F  write the window's failed requests at exit, per (method,
                   name, error), as JSON (Locust's failures CSV lags)
  --request-log F  with events under load: every request's start, time,
                   status and error, written at the end (F.worker-PID on
                   workers), and F.start once the window begins (the suite
                   times its events from it)
  --start-gate-fd N  hold the start until the suite writes the server's URL
                   to pipe N (it starts Locust before the server answers,
                   even before the server's port is known); waiting costs no CPU
Locust's own -t takes whole seconds only; --duration takes fractions.
Response times are bucketed to 3 significant figures (see bucket_ms).

With workers (--processes, or --master and workers elsewhere) only the
master drives the window: at the end of warm-up it resets its statistics and
tells every worker to drop what it has not reported yet. Workers report every
0.25 s instead of Locust's 3 s, so the window's edges stay sharp. Each worker
writes its own marks (TIMING_FILE.worker-PID) with the requests it sent.
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Callable
from typing import Any

import gevent
import gevent.select
import locust.runners
import locust.stats
from _buckets import bucket_ms
from locust import events
from locust.env import Environment
from locust.exception import CatchResponseError
from locust.runners import MasterRunner, WorkerRunner

locust.runners.WORKER_REPORT_INTERVAL = 0.25  # read at each report, so this applies to workers


locust.stats.bucket_response_time = bucket_ms  # Locust's documented hook for its bucketing
RESET_MESSAGE = "perfsuite_reset"


class Timing:
    def __init__(self) -> None:
        self.first_request_start: float | None = None
        self.last_response_end: float | None = None
        self.measure_start: float | None = None
        self.measure_end: float | None = None
        self.completed = 0

    def on_request(self, start_time: float, response_time: float) -> None:
        self.completed += 1
        end = start_time + response_time / 1000
        if self.first_request_start is None or start_time < self.first_request_start:
            self.first_request_start = start_time
        if self.last_response_end is None or end > self.last_response_end:
            self.last_response_end = end

    def write(self, path: str) -> None:
        if not path:
            return
        try:
            with open(path, "w", encoding="utf-8") as file:
                json.dump(vars(self), file)
        except OSError:
            pass  # a worker on another machine has no such folder; the master's file is the one that counts


TIMING = Timing()


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    parser.add_argument("--warmup", type=float, default=0.0, help="seconds run before every statistic is reset")
    parser.add_argument("--duration", type=float, default=0.0, help="measured seconds after warm-up (0: no limit)")
    parser.add_argument("--timing-file", default="", help="timing marks output (set by the suite)",
                        include_in_web_ui=False)  # fmt: skip
    parser.add_argument("--errors-file", default="", help="failed requests output (set by the suite)",
                        include_in_web_ui=False)  # fmt: skip
    parser.add_argument("--request-log", default="", help="every request's timing (set by the suite)",
                        include_in_web_ui=False)  # fmt: skip
    parser.add_argument("--start-gate-fd", type=int, default=-1, include_in_web_ui=False,
                        help="start once the host's URL arrives on this pipe (set by the suite)")  # fmt: skip
    parser.add_argument("--start-gate-timeout", type=float, default=600.0, include_in_web_ui=False,
                        help="give up (exit 1) if the gate stays closed this long")  # fmt: skip


class GateTimeout(Exception):
    pass


def _wait_for_gate(environment: Environment) -> None:
    """Block the start (the init event precedes it) until the suite opens the
    gate; gevent.sleep keeps the master's other greenlets (workers joining) going."""
    options = environment.parsed_options
    gate = int(getattr(options, "start_gate_fd", -1))
    if gate < 0:
        return
    timeout = float(getattr(options, "start_gate_timeout", 600.0))
    readable, _, _ = gevent.select.select([gate], [], [], timeout)
    if not readable:
        raise GateTimeout(f"the start gate (fd {gate}) did not open within {timeout:g} s")
    host = os.read(gate, 65536).decode("utf-8").strip()  # one write of a URL: atomic
    os.close(gate)
    if not host:  # the suite closed the pipe without opening the gate
        raise GateTimeout("the start gate was closed")
    environment.host = host
    options.host = host


class RequestLog:
    """Every request's (start, milliseconds, status, error): what the suite reads across events."""

    MAX_ERROR = 160

    def __init__(self) -> None:
        self.path = ""
        self.rows: list[tuple[float, float, int, str]] = []

    def add(self, ms: float, response: Any, exception: Any) -> None:
        """A request just ended (Locust fires its event at the end): its start is `ms` before now. In open
        mode `ms` counts from the intended start, so the start logged is the intended one."""
        status = getattr(response, "status_code", 0) or 0 if response is not None else 0
        error = "" if exception is None else " ".join(repr(exception).split())[: self.MAX_ERROR]
        self.rows.append((time.time() - ms / 1000, ms, int(status) if isinstance(status, int) else 0, error))

    def mark_start(self, when: float) -> None:
        """The window's start, for the suite's events (written whole: a rename)."""
        if self.path:
            _write_whole(f"{self.path}.start", json.dumps({"measure_start": when}))

    def write(self, path: str) -> None:
        """Written whole: the suite reads the file once it is there."""
        if not path:
            return
        try:
            with open(f"{path}.tmp", "w", encoding="utf-8", newline="") as file:
                out = csv.writer(file)
                out.writerow(("start", "ms", "status", "error"))
                out.writerows((f"{s:.6f}", f"{ms:.3f}", status, error) for s, ms, status, error in self.rows)
            os.replace(f"{path}.tmp", path)
        except OSError:
            pass


def _write_whole(path: str, text: str) -> None:
    try:
        with open(f"{path}.tmp", "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(f"{path}.tmp", path)
    except OSError:
        pass


REQUEST_LOG = RequestLog()
ON_RESET: list[Callable[[], None]] = []  # called where the window begins, on every process (open.py's counts)


def _window(environment: Environment, warmup: float, duration: float) -> None:
    if warmup > 0:
        gevent.sleep(warmup)
        if environment.runner is not None:
            environment.runner.stats.reset_all()
    if isinstance(environment.runner, MasterRunner) and (warmup > 0 or ON_RESET):
        environment.runner.send_message(RESET_MESSAGE)
    for hook in ON_RESET:
        hook()
    TIMING.measure_start = time.time()
    REQUEST_LOG.mark_start(TIMING.measure_start)
    if duration > 0:
        gevent.sleep(duration)
        if environment.runner is not None:
            environment.runner.quit()


def _worker_reset(environment: Environment, msg: Any, **_: Any) -> None:
    if environment.runner is not None:
        environment.runner.stats.reset_all()  # not yet reported: warm-up
    for hook in ON_RESET:
        hook()
    TIMING.completed = 0
    TIMING.measure_start = time.time()


ENVIRONMENT: list[Environment] = []  # the one Locust made; the quit event does not pass it


@events.init.add_listener
def _on_init(environment: Environment, **_: Any) -> None:
    ENVIRONMENT[:] = [environment]
    log = getattr(environment.parsed_options, "request_log", "") or ""
    if log:
        REQUEST_LOG.path = log
        events.request.add_listener(_log_request)
        _no_silent_retries()
    if isinstance(environment.runner, WorkerRunner):
        environment.runner.register_message(RESET_MESSAGE, _worker_reset)
    else:
        _wait_for_gate(environment)


@events.test_start.add_listener
def _on_test_start(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return  # the master drives the window
    options = environment.parsed_options
    warmup = getattr(options, "warmup", 0.0) or 0.0
    duration = getattr(options, "duration", 0.0) or 0.0
    gevent.spawn(_window, environment, warmup, duration)


@events.request.add_listener
def _on_request(start_time: float | None = None, response_time: float | None = None, **_: Any) -> None:
    if start_time is not None and response_time is not None:
        TIMING.on_request(start_time, response_time)


def _no_silent_retries() -> None:
    """While the server changes under load, a request it dropped is a failure, as it is to any client that
    does not retry: geventhttpclient (FastHttpUser's client) would otherwise send a GET again, unseen, on a
    fresh connection when its connection closes before the response (its RFC 9110 idempotent-method retry)."""
    import geventhttpclient.client as client

    if not hasattr(client, "_may_retry_after_send_error"):  # a geventhttpclient this was not written for
        raise RuntimeError(
            "cannot turn off geventhttpclient's retry of a GET whose connection closed (no"
            " geventhttpclient.client._may_retry_after_send_error): events would hide dropped requests"
        )
    client._may_retry_after_send_error = lambda method: False


def _log_request(
    start_time: float | None = None,
    response_time: float | None = None,
    response: Any = None,
    exception: Any = None,
    **_: Any,
) -> None:
    if start_time is not None and response_time is not None:
        REQUEST_LOG.add(response_time, response, exception)


@events.test_stop.add_listener
def _on_test_stop(environment: Environment, **_: Any) -> None:
    TIMING.measure_end = time.time()
    path = getattr(environment.parsed_options, "timing_file", "") or ""
    log = REQUEST_LOG.path
    if isinstance(environment.runner, WorkerRunner):
        path = f"{path}.worker-{os.getpid()}" if path else ""
        log = f"{log}.worker-{os.getpid()}" if log else ""
    TIMING.write(path)
    REQUEST_LOG.write(log)


MAX_ERROR_KINDS = 200
MAX_ERROR_TEXT = 1000


def _message(error: Any) -> str:
    """Locust's error as a person reads it: CatchResponseError's own text, else its repr."""
    if isinstance(error, str):  # from workers, errors arrive as strings
        prefix = "CatchResponseError("
        return error[len(prefix) : -1] if error.startswith(prefix) and error.endswith(")") else error
    if isinstance(error, CatchResponseError) and error.args:
        return str(error.args[0])
    return repr(error)


@events.quit.add_listener
def _on_quit(**_: Any) -> None:
    """The window's failed requests, final: the master holds every worker's by now."""
    runner = ENVIRONMENT[0].runner if ENVIRONMENT else None
    path = getattr(ENVIRONMENT[0].parsed_options, "errors_file", "") if ENVIRONMENT else ""
    if runner is None or isinstance(runner, WorkerRunner) or not path:
        return
    kinds = sorted(runner.stats.errors.values(), key=lambda e: -e.occurrences)[:MAX_ERROR_KINDS]
    rows = [
        {"method": e.method, "name": e.name, "error": _message(e.error)[:MAX_ERROR_TEXT], "occurrences": e.occurrences}
        for e in kinds
    ]
    try:
        with open(path, "w", encoding="utf-8") as file:
            json.dump(rows, file)
    except OSError:
        pass
