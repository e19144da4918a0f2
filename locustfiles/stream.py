"""Streams held open: each StreamUser opens a stream, reads it event by event
to its end, then opens the next (one connection per stream, as a browser's
EventSource reconnects). Short requests may run beside them (BesideUser, the
`mix:` of a stream scenario): name the classes to run on the command line.

Alone:  locust -f locustfiles/stream.py -H http://127.0.0.1:8000 -u 200 -r 50 \\
          --stream '{"name": "tokens", "path": "/stream?chunks=30&interval_ms=100"}' StreamUser
Beside short requests: -u 202 --connections 200 --mix '[{"name": "fast", "path": "/fast"}]' StreamUser BesideUser
(each BesideUser sends one request of the mix every 50 ms: a probe of the latency beside held streams,
counting those still unanswered when the window ends).
Also takes --warmup and --duration (see _window.py).

Each stream is one request in Locust's statistics (its time: to the last
event), failed or cut ones with their reason. --stream-stats-file gets, at
exit and summed over every worker, what _streamlib.StreamWindow counts:
time to first event, gaps between events, time to the last, lateness
against --stream's interval_ms where given, and streams held every 0.1 s
(_held.py).
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

from _held import Held
from _streamlib import Reading, StreamCut, StreamFailed, StreamWindow, read_stream, request_bytes
from gevent import GreenletExit, socket
from locust import User, constant_pacing, events, task
from mix import MixUser

DEFAULT_STREAM = '{"name": "stream", "path": "/stream"}'
CONNECT_TIMEOUT_S = 30.0
READ_TIMEOUT_S = 600.0  # a stream silent this long is cut
MIX_PACE_S = 0.05  # short requests beside the streams: one every 50 ms per user, a probe, not a load


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    parser.add_argument("--stream", default=DEFAULT_STREAM, help="JSON: name, path, interval_ms, headers")
    parser.add_argument("--connections", type=int, default=0,
                        help="stream users (the rest of -u run the mix); 0: every user streams")  # fmt: skip
    parser.add_argument("--stream-stats-file", default="", include_in_web_ui=False,
                        help="stream counts and histograms (set by the suite)")  # fmt: skip


WINDOW = StreamWindow()
Held(WINDOW, "perfsuite_stream", "stream_stats_file", "stream")


@events.init.add_listener
def _on_init(environment: Any, **_: Any) -> None:
    connections = int(getattr(environment.parsed_options, "connections", 0) or 0)
    if connections > 0:
        StreamUser.fixed_count = connections


class Listener:
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
        held = Listener()
        reading = Reading(connection, started, held)
        error: Exception | None = None
        outcome = "completed"
        WINDOW.count("started")
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
            WINDOW.count("unfinished")
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


class BesideUser(MixUser):
    """The mix beside the streams, paced: requests sent in the window are counted, and those still
    unanswered when it ends (a server whose workers all hold streams may answer none)."""

    wait_time = constant_pacing(MIX_PACE_S)  # beside streams, latency is the point, not a rate
    in_flight = 0  # of every BesideUser of this process

    def beside(self) -> None:
        WINDOW.count("beside_sent")
        BesideUser.in_flight += 1
        try:
            MixUser.request(self)
        finally:
            BesideUser.in_flight -= 1


# Locust's metaclass adds the tasks of the base classes to a class's own (MixUser's @task request): half
# the requests then went uncounted (48 of 81 counted as sent). Set after the class is made, the list is whole.
BesideUser.tasks = [BesideUser.beside]


@events.test_stopping.add_listener
def _unanswered(**_: Any) -> None:
    """The window ends (before the users are stopped): what the mix still waits for."""
    WINDOW.count("beside_unanswered", BesideUser.in_flight)
