"""locustfiles/_streamlib.py: events split, a stream read from bytes as a server sends them (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import locustfile_module

lib = locustfile_module("_streamlib")
tally = locustfile_module("_tally")
HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\ntransfer-encoding: chunked\r\n\r\n"


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


class Heard:
    def __init__(self) -> None:
        self.first: list[float] = []
        self.gaps: list[float] = []
        self.sizes: list[tuple[int, int]] = []

    def first_event(self, ttfb_ms: float) -> None:
        self.first.append(ttfb_ms)

    def gap(self, gap_ms: float) -> None:
        self.gaps.append(gap_ms)

    def received(self, size: int, events: int) -> None:
        self.sizes.append((size, events))


def reading(heard: Heard | None = None) -> Any:
    connection, _ = lib.request_bytes("h:1", "/s", {})
    return lib.Reading(connection, 10.0, heard)


def test_events_end_at_a_blank_line_of_any_line_ending() -> None:
    assert lib.split_events(b"data: 1\n\ndata: 2\r\n\r\ndata: 3\r\rdata: 4") == (3, b"data: 4")
    assert lib.split_events(b"data: half") == (0, b"data: half")


def test_a_stream_is_timed_event_by_event_and_ends_complete() -> None:
    heard = Heard()
    read = reading(heard)
    read.feed(HEAD + chunk(b"data: 0\n\n"), 10.005)
    read.feed(chunk(b"data: 1\n\n") + chunk(b"data: 2\n\n"), 10.105)  # two events in one read: a gap of 0
    read.feed(chunk(b"data: 3\n") + chunk(b"\n"), 10.3)  # an event split over two chunks counts once
    read.feed(b"0\r\n\r\n", 10.31)
    assert read.ended and read.events == 4
    assert heard.first == [pytest.approx(5.0)]
    assert heard.gaps == [pytest.approx(100.0), 0.0, pytest.approx(195.0)]
    assert read.last - read.first == pytest.approx(0.295)


@pytest.mark.parametrize(
    ("data", "error", "text"),
    [
        (b"HTTP/1.1 503 Busy\r\ncontent-length: 0\r\n\r\n", "StreamFailed", "answered 503"),
        (b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok", "StreamFailed", "text/plain"),
        (b"garbage\r\n\r\n", "StreamFailed", "not an HTTP response"),
        (HEAD + chunk(b"data: 0\n\n"), "StreamCut", "before its end"),  # then the connection closes
    ],
)
def test_what_is_not_a_whole_event_stream_fails_or_is_cut(data: bytes, error: str, text: str) -> None:
    read = reading()
    with pytest.raises(getattr(lib, error), match=text):
        read.feed(data, 10.0)
        read.feed(b"", 10.1)


def test_an_event_without_end_is_bounded() -> None:
    read = reading()
    read.feed(HEAD, 10.0)
    with pytest.raises(lib.StreamFailed, match="longer than"):
        for _ in range(lib.MAX_EVENT_BYTES // 65536 + 2):
            read.feed(chunk(b"x" * 65536), 10.0)


def test_the_window_counts_streams_and_reports_held_per_process() -> None:
    window = lib.StreamWindow(interval_ms=100.0)
    window.held = 2
    window.note_held(99)  # warm-up: not counted, but the held timeline goes on past the window's start
    window.first_event(1.0)
    window.begin()
    window.first_event(4.0)
    window.gap(130.0)
    window.gap(90.0)
    read = reading()
    read.first, read.last = 10.004, 10.3
    window.add(read, "completed")
    window.held = 3
    window.note_held(100)
    window.held = 5
    window.note_held(100)
    total: dict[str, Any] = {}
    tally.merge(total, window.take(), "a", lib.StreamWindow)
    tally.merge(total, {"completed": 1, "held_by_tick": {"100": 2, "101": 7}}, "b", lib.StreamWindow)
    tally.merge(total, {"held_by_tick": {"100": 1}}, "b", lib.StreamWindow)  # a tick again: its most, not a sum
    assert total["completed"] == 2 and total["late_ms"] == {30.0: 1, 0.0: 1} and total["ttfb_ms"] == {4.0: 1}
    assert total["length_ms"] == {296.0: 1} and total["ttlb_ms"] == {300.0: 1}
    assert tally.held_by_tick(total) == {"99": 2, "100": 7, "101": 7}
    assert window.take()["completed"] == 0  # taken: the next report holds only what came since
