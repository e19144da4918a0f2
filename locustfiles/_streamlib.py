"""Streams read over HTTP/1.1 (no Locust import: the tests read it alone).

One stream: connect, send a GET, read the response with h11 (uvicorn's
sans-IO HTTP/1.1 parser, so chunked bodies, close-delimited bodies and a
connection cut mid-body are told apart by a well-kept library, not by
hand). Server-Sent Events are split on their blank line; each event is
timed at the read that completed it. What the run adds up: StreamWindow
(a _tally.Window).

A stream that is
  completed  answered 200 text/event-stream and ended its body
  cut        ended by the server before its body's end (a worker killed, a
             timeout), after its first event or before it
  failed     refused, reset before an answer, not 200, or not an event stream
and one still open when the window ends is unfinished (neither).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import h11
from _tally import Window

READ_BYTES = 65536
MAX_EVENT_BYTES = 16 * 1024 * 1024  # an event that never ends is a failed stream, not all of memory
SEPARATORS = (b"\r\n\r\n", b"\n\n", b"\r\r")  # an event ends at a blank line (the SSE spec's three line ends)


class StreamFailed(Exception):
    """The stream was refused or answered with something other than an event stream."""


class StreamCut(Exception):
    """The server ended the stream before its body's end."""


def split_events(buffer: bytes) -> tuple[int, bytes]:
    """(complete events in `buffer`, what is left of an event not yet ended)."""
    count = 0
    while True:
        ends = [(at, len(sep)) for sep in SEPARATORS if (at := buffer.find(sep)) >= 0]
        if not ends:
            return count, buffer
        at, size = min(ends)
        buffer = buffer[at + size :]
        count += 1


def request_bytes(host: str, target: str, headers: dict[str, str]) -> tuple[h11.Connection, bytes]:
    connection = h11.Connection(our_role=h11.CLIENT)
    fields = [("Host", host), ("Accept", "text/event-stream"), ("Cache-Control", "no-cache")]
    fields += list(headers.items())
    data = connection.send(h11.Request(method="GET", target=target, headers=fields))
    return connection, data + (connection.send(h11.EndOfMessage()) or b"")


class Listener(Protocol):
    """What is told of a stream as it is read (StreamWindow through stream.py)."""

    def first_event(self, ttfb_ms: float) -> None: ...
    def gap(self, gap_ms: float) -> None: ...
    def received(self, size: int, events: int) -> None: ...


class Reading:
    """One stream's reading, fed what the socket returns; times in seconds (time.monotonic)."""

    def __init__(self, connection: h11.Connection, started: float, listener: Listener | None = None) -> None:
        self.connection = connection
        self.started = started
        self.listener = listener
        self.first: float | None = None  # first event: the stream is held from then
        self.last: float | None = None  # latest event
        self.events = 0
        self.bytes = 0
        self.ended = False
        self._pending = b""

    def feed(self, data: bytes, now: float) -> None:
        """`data` as read (b"" at the connection's close); raises StreamFailed or StreamCut."""
        try:
            self.connection.receive_data(data)
            while True:
                event = self.connection.next_event()
                if event is h11.NEED_DATA or event is h11.PAUSED:
                    return
                self._on(event, now)
                if isinstance(event, h11.EndOfMessage):
                    return
        except h11.RemoteProtocolError as error:
            if self.connection.their_state is h11.SEND_BODY or self.first is not None:
                raise StreamCut(f"the server ended the stream before its end ({error})") from None
            raise StreamFailed(f"not an HTTP response ({error})") from None

    def _on(self, event: Any, now: float) -> None:
        if isinstance(event, h11.Response):
            if event.status_code != 200:
                raise StreamFailed(f"answered {event.status_code}, not 200")
            kind = dict(event.headers).get(b"content-type", b"").split(b";")[0].strip().lower()
            if kind != b"text/event-stream":
                raise StreamFailed(f"answered {kind.decode('latin-1') or 'no content-type'}, not text/event-stream")
        elif isinstance(event, h11.Data):
            self._data(bytes(event.data), now)
        elif isinstance(event, h11.EndOfMessage):
            self.ended = True
        elif isinstance(event, h11.ConnectionClosed):
            raise StreamCut("the server closed the connection before the stream's end")

    def _data(self, data: bytes, now: float) -> None:
        self.bytes += len(data)
        count, self._pending = split_events(self._pending + data)
        if len(self._pending) > MAX_EVENT_BYTES:
            raise StreamFailed(f"an event longer than {MAX_EVENT_BYTES:,} bytes")
        listener = self.listener
        if listener is not None:
            gaps = [0.0] * count  # events read at once arrived together: gaps of 0 after the first
            if count and self.first is None:
                listener.first_event((now - self.started) * 1000)
                gaps = gaps[1:]
            elif count and self.last is not None:
                gaps[0] = (now - self.last) * 1000
            for gap in gaps:
                listener.gap(gap)
            listener.received(len(data), count)
        if count:
            self.first = now if self.first is None else self.first
            self.last = now
            self.events += count


class StreamWindow(Window):
    """What one process measured of its streams (as _tally.Window counts), told as each is read."""

    COUNTS = (
        "started", "completed", "failed", "cut", "unfinished", "events", "bytes", "beside_sent", "beside_unanswered",
    )  # fmt: skip
    HISTOGRAMS = ("ttfb_ms", "gap_ms", "ttlb_ms", "length_ms", "late_ms")

    def __init__(self, interval_ms: float | None = None) -> None:
        super().__init__()
        self.interval_ms = interval_ms  # the gap meant between events: lateness is measured against it

    def first_event(self, ttfb_ms: float) -> None:
        self.time("ttfb_ms", ttfb_ms)

    def gap(self, gap_ms: float) -> None:
        self.time("gap_ms", gap_ms)
        if self.interval_ms is not None:
            self.time("late_ms", gap_ms - self.interval_ms)

    def received(self, size: int, events: int) -> None:
        self.count("bytes", size)
        self.count("events", events)

    def add(self, reading: Reading, outcome: str) -> None:
        """A stream that ended (completed, cut or failed) in the window; its first event,
        gaps and bytes were counted as they came."""
        self.count(outcome)
        if outcome == "completed" and reading.last is not None and reading.first is not None:
            self.time("ttlb_ms", (reading.last - reading.started) * 1000)
            self.time("length_ms", (reading.last - reading.first) * 1000)


def read_stream(reading: Reading, sock: Any, clock: Callable[[], float] = time.monotonic) -> Reading:
    """Read one stream from `sock` to its end; raises StreamFailed or StreamCut (and the socket's errors)."""
    while not reading.ended:
        data = sock.recv(READ_BYTES)
        reading.feed(data, clock())
        if not data and not reading.ended:
            raise StreamCut("the server closed the connection before the stream's end")
    return reading
