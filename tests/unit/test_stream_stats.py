"""stream.json and memory samples -> the stream section (pure)."""

from __future__ import annotations

import pytest

from perfsuite.record.stream_stats import kb_per_connection, memory_points, stream_result, websocket_result

WRITTEN = {
    "stream": {"name": "tokens", "path": "/stream?chunks=3", "interval_ms": 100},
    "started": 40,
    "completed": 38,
    "failed": 1,
    "cut": 1,
    "unfinished": 20,
    "events": 400,
    "bytes": 9000,
    "ttfb_ms": {"2.0": 30, "4.0": 10},
    "gap_ms": {"100.0": 90, "150.0": 10},
    "ttlb_ms": {"203.0": 38},
    "length_ms": {"200.0": 38},
    "late_ms": {"0.0": 90, "50.0": 10},
    "held_by_tick": {"100": 10, "101": 20, "150": 20, "199": 20},  # tenths of a second
}


def test_counts_percentiles_and_held_in_the_window() -> None:
    memory = [(9.9, 50.0), (10.05, 50.5), (10.15, 52.0), (15.0, 52.1), (19.0, 51.9)]
    found = stream_result(WRITTEN, elapsed_s=8.0, window=(11.0, 19.0), memory=memory, connections=20)
    assert (found.completed, found.failed, found.cut, found.unfinished) == (38, 1, 1, 20)
    assert found.held == 20 and found.held_mean == 20.0  # tick 101 (10.1 s) is before the window
    assert found.ttfb_ms.p50 == 2.0 and found.ttfb_ms.max == 4.0 and found.ttfb_mean_ms == pytest.approx(2.5)
    assert found.gap_ms.p99 == 150.0 and found.late_ms.p99 == 50.0 and found.length_ms.p50 == 200.0
    assert found.chunks_per_s == 50.0 and found.interval_ms == 100.0
    assert found.memory_samples[0] == [0, 50.0]  # before the first tick: the idle server
    # Held 0, 0, 10, 20, 20 against 50, 50.5, 52, 52.1, 51.9 MB: least squares, 35 / 400 MB a stream.
    assert found.kb_per_connection == pytest.approx(35 / 400 * 1024, abs=0.01) and found.kb_basis == "slope"


def test_memory_is_read_against_the_held_of_the_tenth_before() -> None:
    held = {100: 5, 102: 9}
    assert memory_points([(9.95, 1.0), (10.05, 2.0), (10.25, 3.0), (30.0, 4.0)], held) == [
        (0, 1.0), (0, 2.0), (5, 3.0), (9, 4.0)
    ]  # fmt: skip


def test_a_slope_where_enough_are_held_else_their_share() -> None:
    assert kb_per_connection([(0, 10.0), (10, 10.5), (20, 11.0)]) == (pytest.approx(51.2), "slope")  # 1 MB / 20
    assert kb_per_connection([(0, 1.0), (20, 2.0)]) == (None, None)  # two points: too few
    # Four held: one-off costs outweigh a connection's, so each one's share of the memory.
    assert kb_per_connection([(0, 10.0), (4, 30.0), (4, 32.0)]) == (pytest.approx(31 / 4 * 1024), "share")
    assert kb_per_connection([(20, 40.0), (20, 41.0), (20, 42.0)]) == (pytest.approx(41 / 20 * 1024), "share")
    assert kb_per_connection([(0, 1.0), (0, 1.0), (0, 1.0)]) == (None, None)  # none held


def test_a_file_without_its_spec_is_refused() -> None:
    with pytest.raises(ValueError, match="no stream spec"):
        stream_result({"completed": 1}, 1.0, (0.0, 1.0), [], 1)
    with pytest.raises(ValueError, match="not a count"):
        stream_result({**WRITTEN, "cut": -1}, 1.0, (0.0, 1.0), [], 1)


def test_a_fan_out_counts_what_subscribers_never_heard() -> None:
    written = {
        "websocket": {"name": "room", "path": "/ws/room", "rate": 5, "bytes": 0, "publisher": "/ws/room?role=p"},
        "opened": 4, "published": 20, "received": 55, "lost": 5, "silent": 1, "failed": 0, "closed": 0,
        "delivery_ms": {"1.0": 50, "3.0": 5}, "rtt_ms": {},
        "held_by_tick": {"100": 4, "150": 4},
    }  # fmt: skip
    found = websocket_result(written, (11.0, 16.0), [(9.0, 40.0), (12.0, 40.2), (15.0, 40.3)], 3)
    assert found.kind == "fan-out" and found.held == 4 and found.rtt_ms is None
    assert found.delivery_ms is not None and found.delivery_ms.p99 == 3.0
    assert found.lost == 5 + 1 * 20  # gaps, and every message of the window for the silent one
    echo = websocket_result({**written, "websocket": {"path": "/ws/echo", "rate": 10}, "rtt_ms": {"2.0": 3}},
                            (11.0, 16.0), [], 3)  # fmt: skip
    assert echo.kind == "echo" and echo.rtt_ms is not None and echo.rtt_ms.p50 == 2.0 and echo.delivery_ms is None
    with pytest.raises(ValueError, match="no websocket spec"):
        websocket_result({}, (0.0, 1.0), [], 1)
