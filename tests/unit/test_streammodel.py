"""Held streams as slots held for a stream's length: D/D/S simulated (pure)."""

from __future__ import annotations

import math

import pytest

from perfsuite.judge.streammodel import expect_streams


def test_an_event_loop_holds_every_connection_and_none_waits() -> None:
    found = expect_streams(200, math.inf, 2.9, spawn_rate=200, warmup_s=2, duration_s=10)
    assert found.held == 200 and found.held_mean == pytest.approx(200, rel=0.01)
    # All 200 start together, so their streams too: waves at 2.9, 5.8, 8.7 and 11.6 s in the window [2, 12].
    assert found.ttfb_ms == 0 and found.streams_per_s == pytest.approx(4 * 200 / 10)


def test_four_workers_hold_four_and_the_rest_wait_in_steps_of_a_stream() -> None:
    found = expect_streams(200, 4, 2.9, spawn_rate=200, warmup_s=2, duration_s=10)
    assert found.held == 4 and found.step_ms == 2900
    # All connect at once; wave k starts at 2.9 k s: in [2, 12] waves 1..4 start, each 4 streams.
    assert found.streams_per_s == pytest.approx(1.6)
    assert found.ttfb_ms == pytest.approx(1000 * 2.9 * (1 + 2 + 3 + 4) / 4, rel=0.01)
    assert found.ttfb_max_ms == pytest.approx(4 * 2900, rel=0.01)


def test_fewer_connections_than_slots_wait_for_nothing_and_ramp_at_the_spawn_rate() -> None:
    found = expect_streams(10, 16, 1.0, spawn_rate=5, warmup_s=0, duration_s=4)
    assert found.held == 10 and found.ttfb_ms == 0
    # Locust starts 5 users at 0 s and 5 at 1 s (floor(rate) a batch): 5 x 4 + 5 x 3 stream-seconds in 4 s.
    assert found.held_mean == pytest.approx((5 * 4 + 5 * 3) / 4)
    assert expect_streams(10, 16, 1.0, spawn_rate=2.5, warmup_s=0, duration_s=4).held_mean == pytest.approx(
        (2 * 4 + 2 * 3.2 + 2 * 2.4 + 2 * 1.6 + 2 * 0.8) / 4
    )  # batches of 2 every 0.8 s


def test_a_stream_must_have_a_length() -> None:
    with pytest.raises(ValueError, match="positive"):
        expect_streams(1, 1, 0.0, 1, 0, 1)


def test_the_event_rate_of_held_streams() -> None:
    from perfsuite.judge.assess import chunk_rate

    # 200 held all window long, 30 events 100 ms apart (2.9 s): 29 events a stream every 2.9 s, plus
    # the first event of each of the 4 x 200 / 10 s streams that began.
    held = expect_streams(200, math.inf, 2.9, spawn_rate=200, warmup_s=4, duration_s=10)
    assert chunk_rate(held, 2900, 100) == pytest.approx(200 * 29 / 2.9 + held.streams_per_s)
    assert chunk_rate(held, 2900, None) is None
