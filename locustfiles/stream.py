"""Streams held open: each StreamUser opens a stream, reads it event by event
to its end, then opens the next (one connection per stream, as a browser's
EventSource reconnects). Short requests may run beside them (MixUser, the
`mix:` of a stream scenario): name the classes to run on the command line.

Alone:  locust -f locustfiles/stream.py -H http://127.0.0.1:8000 -u 200 -r 50 \\
          --stream '{"name": "tokens", "path": "/stream?chunks=30&interval_ms=100"}' StreamUser
Beside short requests: -u 202 --connections 200 --mix '[{"name": "fast", "path": "/fast"}]' StreamUser MixUser
(each MixUser sends one request every 50 ms: short requests probe the latency beside held streams).
Also takes --warmup and --duration (see _window.py).

Each stream is one request in Locust's statistics (its time: to the last
event), failed or cut ones with their reason. --stream-stats-file gets, at
exit and summed over every worker, what _streamlib.StreamWindow counts:
time to first event, gaps between events, time to the last, lateness
against --stream's interval_ms where given, and streams held per second.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

import _window
import gevent
from _streamlib import (
    COUNTS,
    HISTOGRAMS,
    Reading,
    StreamCut,
    StreamFailed,
    StreamWindow,
    held_by_second,
    merge,
    read_stream,
    request_bytes,
)
from gevent import GreenletExit, socket
from locust import User, constant_pacing, events, task
from locust.runners import WorkerRunner
from mix import MixUser  # run beside the streams when named on the command line

DEFAULT_STREAM = '{"name": "stream", "path": "/stream"}'
CONNECT_TIMEOUT_S = 30.0
READ_TIMEOUT_S = 600.0  # a stream silent this long is cut
HELD_TICK_S = 0.1  # streams held are counted at each tick: one ending as the next begins is not two
TICKS_PER_S = 10  # the held timeline's resolution: a ramp of a second shows in it
MIX_PACE_S = 0.05  # short requests beside the streams: one every 50 ms per user, a probe, not a load


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    parser.add_argument("--stream", default=DEFAULT_STREAM, help="JSON: name, path, interval_ms, headers")
    parser.add_argument("--connections", type=int, default=0,
                        help="stream users (the rest of -u run the mix); 0: every user streams")  # fmt: skip
    parser.add_argument("--stream-stats-file", default="", include_in_web_ui=False,
                        help="stream counts and histograms (set by the suite)")  # fmt: skip


WINDOW = StreamWindow()
TOTAL: dict[str, Any] = {}  # the master's (or the only process's) sum of every report


def _reset() -> None:
    """The window begins: counts start afresh (the held timeline, reported as it goes, does not)."""
    WINDOW.in_window = True
    held = WINDOW.held_by_second
    WINDOW.clear()
    WINDOW.held_by_second = held
    TOTAL.update(dict.fromkeys(COUNTS, 0))
    for name in HISTOGRAMS:
        TOTAL.pop(name, None)


_window.ON_RESET.append(_reset)


def _tick() -> None:
    while True:
        WINDOW.note_held(int(time.time() * TICKS_PER_S))
        gevent.sleep(HELD_TICK_S)


@events.init.add_listener
def _on_init(environment: Any, **_: Any) -> None:
    connections = int(getattr(environment.parsed_options, "connections", 0) or 0)
    if connections > 0:
        StreamUser.fixed_count = connections
    MixUser.wait_time = constant_pacing(MIX_PACE_S)  # beside streams, latency is the point, not a rate


@events.test_start.add_listener
def _on_start(**_: Any) -> None:
    gevent.spawn(_tick)


@events.report_to_master.add_listener
def _report(client_id: str, data: dict[str, Any]) -> None:
    data["perfsuite_stream"] = WINDOW.take()


@events.worker_report.add_listener
def _worker_report(client_id: str, data: dict[str, Any]) -> None:
    if "perfsuite_stream" in data:
        merge(TOTAL, data["perfsuite_stream"], client_id)


@events.test_stop.add_listener
def _stop(environment: Any, **_: Any) -> None:
    WINDOW.in_window = False
    if not isinstance(environment.runner, WorkerRunner):
        merge(TOTAL, WINDOW.take(), "local")


@events.quit.add_listener
def _write(**_: Any) -> None:
    environment = _window.ENVIRONMENT[0] if _window.ENVIRONMENT else None
    if environment is None or isinstance(environment.runner, WorkerRunner):
        return
    path = getattr(environment.parsed_options, "stream_stats_file", "")
    if not path:
        return
    try:
        with open(path, "w", encoding="utf-8") as file:
            found = {key: value for key, value in TOTAL.items() if key != "held_by_process"}
            json.dump(
                {
                    "stream": json.loads(environment.parsed_options.stream),
                    **found,
                    "held_by_second": held_by_second(TOTAL),
                },
                file,
            )
    except OSError:
        pass


class Held:
    """One stream's listener: the window's, and the stream held from its first event."""

    def __init__(self) -> None:
        self.held = False

    def first_event(self, ttfb_ms: float) -> None:
        self.held = True
        WINDOW.held += 1
        WINDOW.first_event(ttfb_ms)

    def gap(self, gap_ms: float) -> None:
        WINDOW.gap(gap_ms)

    def received(self, size: int, events: int) -> None:
        WINDOW.received(size, events)

    def release(self) -> None:
        if self.held:
            self.held = False
            WINDOW.held -= 1


class StreamUser(User):
    """Opens one stream after another; each is held from its first event to its last."""

    def on_start(self) -> None:
        spec = json.loads(getattr(self.environment.parsed_options, "stream", DEFAULT_STREAM))
        self.name = str(spec.get("name") or spec["path"])
        self.path = str(spec["path"])
        interval = spec.get("interval_ms")
        WINDOW.interval_ms = None if interval is None else float(interval)
        self.headers = {str(k): str(v) for k, v in (spec.get("headers") or {}).items()}
        url = urlsplit(self.host or "")
        self.address = (url.hostname or "127.0.0.1", url.port or 80)
        self.host_header = url.netloc

    @task
    def stream(self) -> None:
        started, wall = time.monotonic(), time.time()
        connection, request = request_bytes(self.host_header, self.path, self.headers)
        held = Held()
        reading = Reading(connection, started, held)
        error: Exception | None = None
        outcome = "completed"
        if WINDOW.in_window:
            WINDOW.counts["started"] += 1
        sock = None
        try:
            sock = socket.create_connection(self.address, timeout=CONNECT_TIMEOUT_S)
            sock.settimeout(READ_TIMEOUT_S)
            sock.sendall(request)
            read_stream(reading, sock)
        except StreamCut as cut:
            outcome, error = "cut", cut
        except StreamFailed as failed:
            outcome, error = "failed", failed
        except OSError as broken:  # refused, reset, timed out
            outcome = "cut" if reading.first is not None else "failed"
            error = StreamCut(f"{type(broken).__name__}: {broken}") if outcome == "cut" else broken
        except GreenletExit:  # the window is over with this stream still open
            if WINDOW.in_window:
                WINDOW.counts["unfinished"] += 1
            raise
        finally:
            held.release()
            if sock is not None:
                sock.close()
        WINDOW.add(reading, outcome)
        ended = reading.last if outcome == "completed" and reading.last is not None else time.monotonic()
        self.environment.events.request.fire(
            request_type="STREAM",
            name=self.name,
            start_time=wall,
            response_time=(ended - started) * 1000,
            response_length=reading.bytes,
            exception=error,
            context={},
        )
